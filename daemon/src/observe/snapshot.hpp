// snapshot.hpp: a plain-value copy of the metrics region (all slots or one
// worker's), taken once per scrape so that the Prometheus and status
// renderers work on consistent-enough numbers (a histogram's _count is the
// sum of its own bucket copies, so +Inf always equals _count).
//
// The gauges (app gauges included) and in-flight requests of a slot whose
// process is gone (not yet respawned) read as zero; its counters and
// histograms stay in the sums.
//
// Thread contract: TakeSnapshot reads shared memory with relaxed atomics; it
// is safe from any thread or process while the workers write. The result is
// an ordinary value.
#pragma once

#include "observe/metrics_region.hpp"

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace spindle::observe {

struct HistogramSnapshot {
  std::array<uint64_t, kBucketSlots> buckets{};  // per bucket, not cumulative
  uint64_t sum_us = 0;

  uint64_t Count() const noexcept;
  void Add(const HistogramSnapshot& o) noexcept;
};

// One worker's value of an app metric: the field its kind says.
struct AppMetricValue {
  uint64_t counter = 0;
  int64_t gauge = 0;
  HistogramSnapshot histogram;
};

struct InflightSnapshot {
  uint32_t route = kRouteNone;
  double age_seconds = 0;
};

struct WorkerSnapshot {
  unsigned index = 0;
  int64_t pid = 0;
  bool alive = false;  // the pid exists (kill(pid, 0))
  uint64_t starts = 0;
  int64_t attached_unix_ms = 0;

  // The scalar metrics (metrics_table.hpp).
#define SPINDLE_SNAPSHOT_FIELD(kind, field, name, in_status, help) \
  MetricValue<MetricKind::kind> field = 0;
  SPINDLE_SCALAR_METRICS(SPINDLE_SNAPSHOT_FIELD)
#undef SPINDLE_SNAPSHOT_FIELD

  uint64_t slow_slices = 0;
  uint64_t slow_slice_ms = 0;
  uint32_t last_slow_route = kRouteNone;
  uint64_t last_slow_ms = 0;
  int64_t last_slow_unix_ms = 0;

  HistogramSnapshot latency;
  HistogramSnapshot queue_wait;
  std::vector<uint64_t> requests;       // [route * kStatusBuckets + bucket]
  std::vector<uint64_t> slow_by_route;  // [route]
  std::vector<InflightSnapshot> inflight_requests;  // oldest first
  std::vector<AppMetricValue> app_metrics;  // [index of RegionSnapshot::app_metrics]

  uint64_t RequestCount(uint32_t route, size_t status_bucket) const noexcept {
    return requests[static_cast<size_t>(route) * kStatusBuckets + status_bucket];
  }
};

struct RouteLabel {
  std::string method;   // empty for the reserved routes
  std::string pattern;  // "(none)", "(other)" for the reserved routes
  std::string Joined() const { return method.empty() ? pattern : method + " " + pattern; }
};

struct AppMetricInfo {
  AppMetricKind kind{};  // 0: an entry whose writer died mid-write (not rendered)
  std::string name;
  std::string help;
};

struct RegionSnapshot {
  std::vector<RouteLabel> routes;
  std::vector<AppMetricInfo> app_metrics;  // registration order
  std::vector<WorkerSnapshot> workers;  // attached slots only, by index
  int64_t taken_unix_ms = 0;

  // Counters, gauges and histograms summed over `workers` (index 0, pid 0,
  // in-flight requests merged, oldest first).
  WorkerSnapshot Total() const;
};

RegionSnapshot TakeSnapshot(const MetricsRegion& region);

}  // namespace spindle::observe
