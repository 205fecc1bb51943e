// observe_hooks.cpp: see observe_hooks.hpp.
#include "server/observe_hooks.hpp"

#include "observe/observe.hpp"

#include <spindle/scheduler.hpp>

#include <spdlog/spdlog.h>

#include <grp.h>
#include <pwd.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <cstring>

namespace spindle::server {
namespace {

int g_admin_fd = -1;
std::string g_admin_path;  // unix socket we bound (removed at exit)
pid_t g_master_pid = 0;
unsigned g_slots = 0;

bool ParseId(const std::string& s, unsigned* v) {
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), *v);
  return ec == std::errc() && end == s.data() + s.size();
}

// owner/group of the admin socket file, like the main listener's.
bool ChownSocket(const config::ListenConfig& l, std::string* err) {
  if (l.owner.empty() && l.group.empty()) return true;
  uid_t uid = static_cast<uid_t>(-1);
  gid_t gid = static_cast<gid_t>(-1);
  unsigned v = 0;
  if (!l.owner.empty()) {
    if (ParseId(l.owner, &v)) {
      uid = v;
    } else if (passwd* pw = getpwnam(l.owner.c_str())) {
      uid = pw->pw_uid;
    } else {
      *err = "admin socket: unknown user '" + l.owner + "'";
      return false;
    }
  }
  if (!l.group.empty()) {
    if (ParseId(l.group, &v)) {
      gid = v;
    } else if (group* gr = getgrnam(l.group.c_str())) {
      gid = gr->gr_gid;
    } else {
      *err = "admin socket: unknown group '" + l.group + "'";
      return false;
    }
  }
  if (chown(l.path.c_str(), uid, gid) != 0) {
    *err = "admin socket: chown('" + l.path + "'): " + std::strerror(errno);
    return false;
  }
  return true;
}

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
    if (!observe::CreateRegion(ro, err)) return false;
    g_slots = ro.max_workers;
  }
  if (!o.admin) return true;
  if (!o.metrics) {
    spdlog::warn("master: 'admin' is set but 'metrics.enabled' is false: the admin "
                 "endpoints will report no numbers");
  }
  const config::ListenConfig& l = *o.admin;
  observe::AdminListenConfig ac;
  ac.path = l.path;
  ac.host = l.host;
  ac.port = l.port;
  ac.mode = l.mode;
  ac.backlog = l.backlog;
  int fd = observe::OpenAdminListener(ac, err);
  if (fd < 0) return false;
  if (l.is_unix() && !ChownSocket(l, err)) {
    ::close(fd);
    ::unlink(l.path.c_str());
    return false;
  }
  if (g_admin_fd >= 0) ::close(g_admin_fd);
  g_admin_fd = fd;
  if (l.is_unix() && g_admin_path.empty()) {
    g_master_pid = getpid();
    std::atexit(RemoveAdminSocket);
  }
  g_admin_path = l.path;
  uint16_t port = observe::BoundPort(fd);
  spdlog::info("master: admin listener on '{}'",
               l.is_unix() ? "unix:" + l.path : l.host + ":" + std::to_string(port));
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
    return g;
  });
  if (g_admin_fd >= 0) admin_ = observe::StartAdminListener(g_admin_fd);
}

void WorkerObservers::Stop() {
  for (Fiber* f : {&admin_, &sampler_}) {
    if (f->joinable()) {
      f->cancel();
      f->join();
    }
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
