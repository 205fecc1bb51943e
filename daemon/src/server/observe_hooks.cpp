// observe_hooks.cpp: see observe_hooks.hpp.
#include "server/observe_hooks.hpp"

#include "observe/observe.hpp"
#include "pg/live_stats.hpp"
#include "redis/client_core.hpp"
#include "server/listener.hpp"

#include <spindle/scheduler.hpp>

#include <spdlog/spdlog.h>

#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace spindle::server {
namespace {

int g_admin_fd = -1;
std::string g_admin_path;  // unix socket we bound (removed at exit)
pid_t g_master_pid = 0;
unsigned g_slots = 0;

void RemoveAdminSocket() {
  if (getpid() == g_master_pid && !g_admin_path.empty()) ::unlink(g_admin_path.c_str());
}

}  // namespace

bool SetUpObservability(const config::Config& cfg, std::string* err) {
  const config::ObserveConfig& o = cfg.observe;
  if (o.metrics) {
    observe::RegionOptions ro;
    ro.max_workers = 2 * cfg.EffectiveWorkers();
    ro.max_routes = o.max_routes;
    ro.max_app_metrics = o.max_app_metrics;
    if (!observe::CreateRegion(ro, err)) return false;
    g_slots = ro.max_workers;
  }
  if (!o.admin) return true;
  if (!o.metrics) {
    spdlog::warn("master: 'admin' is set but 'metrics.enabled' is false: the admin "
                 "pages will answer 503");
  }
  const config::ListenConfig& l = *o.admin;
  // The admin socket is opened like the apps' one (server/listener.hpp):
  // from spindled.socket when systemd passed it (bound, owned and moded by
  // the unit, never unlinked by us), else bound here.
  ListenResult opened = OpenListener(l);
  if (opened.fd < 0) {
    *err = "admin socket " + l.Describe() + ": " + opened.error;
    return false;
  }
  if (g_admin_fd >= 0) ::close(g_admin_fd);
  g_admin_fd = opened.fd;
  if (!opened.inherited && l.is_unix() && g_admin_path.empty()) {
    g_master_pid = getpid();
    std::atexit(RemoveAdminSocket);
  }
  if (!opened.inherited) g_admin_path = l.path;
  spdlog::info("master: admin listener on '{}'{}", l.Describe(),
               opened.inherited ? " (from systemd)" : "");
  return true;
}

int AdminListenFd() { return g_admin_fd; }

void AttachObservability(unsigned generation, unsigned index) {
  if (g_slots < 2) return;
  unsigned half = g_slots / 2;
  unsigned slot = (generation % 2) * half + index % half;
  if (!observe::AttachWorker(slot)) {
    spdlog::warn("worker cannot attach metrics slot '{}'", slot);
  }
}

std::function<void(std::string_view, std::chrono::milliseconds)> SlowSliceHook() {
  if (!observe::CurrentRecorder()) return {};
  return observe::OnSlowSlice;
}

WorkerObservers::WorkerObservers(std::function<int64_t()> queue_depth) {
  if (!observe::CurrentRecorder()) return;
  sampler_ = observe::StartGaugeSampler([queue_depth = std::move(queue_depth)] {
    observe::GaugeSample g = observe::SchedulerGauges();
    g.queue_depth = queue_depth();
    Scheduler* sched = Scheduler::current();
    g.offload_queue = sched ? static_cast<int64_t>(sched->offload_queue_depth()) : 0;
    // The apps' Redis clients live in this worker: spindle_redis_*.
    redis::Stats r = redis::impl::LiveClientsStats();
    g.redis_commands = r.commands;
    g.redis_errors = r.errors;
    g.redis_timeouts = r.timeouts;
    g.redis_reconnects = r.reconnects;
    g.redis_pool_waits = r.pool_waits;
    g.redis_connections_open = static_cast<int64_t>(r.connections_open);
    // And their PostgreSQL clients: spindle_pg_*.
    pg::Stats p = pg::impl::LiveClientsStats();
    g.pg_queries = p.queries;
    g.pg_errors = p.errors;
    g.pg_timeouts = p.timeouts;
    g.pg_reconnects = p.reconnects;
    g.pg_pool_waits = p.pool_waits;
    g.pg_connections_open = static_cast<int64_t>(p.connections_open);
    return g;
  });
}

void WorkerObservers::Stop() {
  if (sampler_.joinable()) {
    sampler_.cancel();
    sampler_.join();
  }
}

uint32_t RouteIndexCache::Get(const Router::Route* route) {
  if (!route) return observe::kRouteNone;
  auto it = cache_.find(route);
  if (it != cache_.end()) return it->second;
  uint32_t index = observe::RegisterRoute(route->method, route->pattern);
  cache_.emplace(route, index);
  return index;
}

RequestObservation::RequestObservation(uint32_t route, Clock::time_point start)
    : route_(route), start_(start), token_(observe::OnRequestStart(route)) {}

RequestObservation::~RequestObservation() {
  if (finished_) return;
  observe::RequestEnd end;
  end.route = route_;
  end.status = 499;
  end.duration = std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - start_);
  end.queue_wait = std::chrono::duration_cast<std::chrono::microseconds>(queue_wait_);
  observe::OnRequestEnd(token_, end);
}

void RequestObservation::Finish(std::string_view method, std::string_view target, int status,
                                uint64_t bytes) {
  if (finished_) return;
  finished_ = true;
  observe::RequestEnd end;
  end.route = route_;
  end.status = status;
  end.bytes = bytes;
  end.duration = std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - start_);
  end.queue_wait = std::chrono::duration_cast<std::chrono::microseconds>(queue_wait_);
  observe::OnRequestEnd(token_, end);
  observe::LogAccess({method, target, status, bytes, end.duration, end.queue_wait});
}

}  // namespace spindle::server
