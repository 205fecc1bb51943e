// observe_hooks.hpp: where spindled's master and workers plug into the
// observability subsystem (observe/observe.hpp): the metrics region and the
// admin socket opened in the master before it forks, the worker's slot,
// watchdog hook and gauge sampler, and the per-request route index. docs/observability.md describes what they publish.
//
// Process/fiber contract: SetUpObservability runs in the master (single
// thread) before the first fork; AttachObservability in a worker right after
// fork(), before its Scheduler exists; WorkerObservers and RouteIndex run in
// fibers of the worker's one scheduler thread. Without a region (metrics
// disabled) every call is a cheap no-op.
#pragma once

#include <spindle/deadline.hpp>
#include <spindle/fiber.hpp>
#include <spindle/router.hpp>
#include <spindle/scheduler.hpp>

#include "config/config.hpp"
#include "observe/metrics_region.hpp"
#include "observe/recorder.hpp"

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace spindle::server {

// Master: creates the metrics region (2 x workers slots, so a reload's new
// generation can count beside the draining one) and opens the admin
// socket when `admin:` is set. Returns false with *err on failure. The
// admin socket file is removed when the master exits.
bool SetUpObservability(const config::Config& cfg, std::string* err);
// The admin socket's listening fd opened by SetUpObservability, or -1.
int AdminListenFd();

// Worker, right after fork() and before its Scheduler exists: claims the
// metrics slot of worker `index` of generation `generation`. Generations
// alternate between the two halves of the region, so during a reload the
// draining workers and their successors never share a slot, and a respawned
// worker reuses its predecessor's slot (its counters carry on).
void AttachObservability(unsigned generation, unsigned index);
// The hook for SchedulerOptions::on_slow_slice when this process has a
// slot (counts the slow slice by route), else an empty function.
std::function<void(std::string_view, std::chrono::milliseconds)> SlowSliceHook();

// Worker fibers: the gauge sampler (every 250 ms). Stop() cancels and joins
// it. (The admin socket is served by server/admin_server.hpp.)
class WorkerObservers {
 public:
  // `queue_depth` is sampled in the sampler fiber.
  explicit WorkerObservers(std::function<int64_t()> queue_depth);
  ~WorkerObservers() { Stop(); }
  WorkerObservers(const WorkerObservers&) = delete;
  WorkerObservers& operator=(const WorkerObservers&) = delete;
  void Stop();

 private:
  Fiber sampler_;
};

// The region's route index of a matched route (registered on first use, so
// every worker and every respawn agrees), cached per worker.
class RouteIndexCache {
 public:
  uint32_t Get(const Router::Route* route);

 private:
  std::unordered_map<const Router::Route*, uint32_t> cache_;
};

// One request's observation, owned by its handler fiber: counts it in flight
// from construction (the route is known by then) and, in Finish, records its
// outcome and writes the access-log line. Destroyed without Finish (the
// fiber was unwound), it still ends the in-flight entry, as status 499.
class RequestObservation {
 public:
  RequestObservation(uint32_t route, Clock::time_point start);
  ~RequestObservation();
  RequestObservation(const RequestObservation&) = delete;
  RequestObservation& operator=(const RequestObservation&) = delete;

  void set_queue_wait(Clock::duration wait) { queue_wait_ = wait; }
  void Finish(std::string_view method, std::string_view target, int status, uint64_t bytes);

 private:
  uint32_t route_;
  Clock::time_point start_;
  Clock::duration queue_wait_{};
  observe::RequestToken token_;
  bool finished_ = false;
};

}  // namespace spindle::server
