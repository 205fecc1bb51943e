// recorder.hpp: the writing side of the metrics region for one worker slot:
// what a worker calls on each request, connection, gauge sample, watchdog
// report and Redis snapshot.
//
// Thread contract: every call is a few relaxed atomic operations on shared
// memory, never suspends, never allocates (except RegisterRoute's label
// compare) and is safe from any thread (OnSlowSlice runs on the engine's
// watchdog thread). Requires an attached slot (MetricsRegion::AttachWorker).
#pragma once

#include "observe/metrics_region.hpp"

#include <chrono>
#include <cstdint>
#include <string_view>

namespace spindle::observe {

// Returned by OnRequestStart, handed back to OnRequestEnd.
struct RequestToken {
  int32_t entry = -1;  // in-flight table index, -1 = not tracked
};

struct RequestEnd {
  uint32_t route = kRouteNone;
  int status = 0;
  uint64_t bytes = 0;                          // response body bytes sent
  std::chrono::microseconds duration{0};       // head received -> end sent
  std::chrono::microseconds queue_wait{0};     // time spent in the admission queue
};

struct GaugeSample {
  int64_t fibers_alive = 0;
  int64_t stack_bytes = 0;
  int64_t queue_depth = 0;    // requests waiting for admission
  int64_t offload_queue = 0;  // offload jobs waiting for a pool thread
};

// Absolute values since the Redis client was created (copy them from
// spindle::redis::Stats); folded across respawns by the region.
struct RedisCounters {
  uint64_t commands = 0;
  uint64_t errors = 0;
  uint64_t timeouts = 0;
  uint64_t reconnects = 0;
  uint64_t pool_waits = 0;
  int64_t connections_open = 0;
};

class Recorder {
 public:
  Recorder(MetricsRegion& region, unsigned worker) : region_(region), worker_(worker) {}

  MetricsRegion& region() const noexcept { return region_; }
  unsigned worker() const noexcept { return worker_; }

  uint32_t RegisterRoute(std::string_view method, std::string_view pattern) noexcept {
    return region_.RegisterRoute(method, pattern);
  }

  // A request head arrived and was routed (`route` = kRouteNone when no
  // route matched). Counts it in flight until OnRequestEnd.
  RequestToken OnRequestStart(uint32_t route) noexcept;
  // Exactly once per OnRequestStart, whatever the outcome (handler reply,
  // 404, 503 after queue_timeout, cancelled: status 499).
  void OnRequestEnd(RequestToken token, const RequestEnd& end) noexcept;

  void OnAccept() noexcept;
  void OnSpawnFailure() noexcept;
  void OnConnectionClosed() noexcept;
  void UpdateGauges(const GaugeSample& sample) noexcept;
  // The engine watchdog's report (SchedulerOptions::on_slow_slice). `name` is
  // the fiber's name; a route label ("GET /x") or pattern is counted by route.
  void OnSlowSlice(std::string_view name, std::chrono::milliseconds ran) noexcept;
  void UpdateRedis(const RedisCounters& counters) noexcept;

 private:
  MetricsRegion& region_;
  unsigned worker_;
};

}  // namespace spindle::observe
