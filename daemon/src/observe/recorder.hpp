// recorder.hpp: the writing side of the metrics region for one worker slot:
// what a worker calls on each request, connection, gauge sample (which
// carries the Redis and PostgreSQL clients' counters) and watchdog report.
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

// What the periodic sampler stores: one field per sampled row of
// metrics_table.hpp (kSampledGauge: the value now; kSampledCounter: the
// component's absolute count, e.g. spindle::redis::Stats::commands).
struct GaugeSample {
#define SPINDLE_SAMPLE_FIELD(kind, field, name, in_status, help) \
  SPINDLE_IF_SAMPLED_##kind(MetricValue<MetricKind::kind> field = 0;)
  SPINDLE_SCALAR_METRICS(SPINDLE_SAMPLE_FIELD)
#undef SPINDLE_SAMPLE_FIELD
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
  // Stores every sampled metric (the Redis and PostgreSQL counters among them).
  void UpdateGauges(const GaugeSample& sample) noexcept;
  // The engine watchdog's report (SchedulerOptions::on_slow_slice). `name` is
  // the fiber's name; a route label ("GET /x") or pattern is counted by route.
  void OnSlowSlice(std::string_view name, std::chrono::milliseconds ran) noexcept;

 private:
  MetricsRegion& region_;
  unsigned worker_;
};

}  // namespace spindle::observe
