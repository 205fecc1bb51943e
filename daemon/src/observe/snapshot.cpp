// snapshot.cpp: see snapshot.hpp.
#include "observe/snapshot.hpp"

#include "observe/clock.hpp"

#include <signal.h>

#include <algorithm>
#include <cerrno>

namespace spindle::observe {
namespace {

constexpr auto kRelaxed = std::memory_order_relaxed;

HistogramSnapshot Copy(const SharedHistogram& h) {
  HistogramSnapshot s;
  for (size_t i = 0; i < kBucketSlots; ++i) s.buckets[i] = h.buckets[i].load(kRelaxed);
  s.sum_us = h.sum_us.load(kRelaxed);
  return s;
}

bool PidAlive(int64_t pid) {
  if (pid <= 0) return false;
  return kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM;
}

template <class T>
T Load(const std::atomic<T>& cell) {
  return cell.load(kRelaxed);
}

uint64_t Load(const SampledCounterCell& cell) {
  return cell.base.load(kRelaxed) + cell.current.load(kRelaxed);
}

constexpr bool IsGauge(MetricKind kind) {
  return kind == MetricKind::kGauge || kind == MetricKind::kSampledGauge;
}

void SortOldestFirst(std::vector<InflightSnapshot>& v) {
  std::stable_sort(v.begin(), v.end(), [](const InflightSnapshot& a, const InflightSnapshot& b) {
    return a.age_seconds > b.age_seconds;
  });
}

void CopyAppMetrics(const MetricsRegion& region, unsigned index,
                    const std::vector<AppMetricInfo>& infos, WorkerSnapshot& w) {
  w.app_metrics.resize(infos.size());
  for (uint32_t i = 0; i < infos.size(); ++i) {
    AppMetricValue& v = w.app_metrics[i];
    switch (infos[i].kind) {
      case AppMetricKind::kCounter:
        v.counter = region.AppCounter(index, i).load(kRelaxed);
        break;
      case AppMetricKind::kGauge:
        v.gauge = w.alive ? region.AppGauge(index, i).load(kRelaxed) : 0;
        break;
      case AppMetricKind::kHistogram:
        v.histogram = Copy(region.AppHistogram(index, i));
        break;
    }
  }
}

WorkerSnapshot CopySlot(const MetricsRegion& region, unsigned index, uint32_t routes,
                        const std::vector<AppMetricInfo>& app_metrics, int64_t now_ns) {
  const WorkerSlot& s = region.Slot(index);
  WorkerSnapshot w;
  w.index = index;
  w.pid = s.pid.load(std::memory_order_acquire);
  w.alive = PidAlive(w.pid);
  w.starts = s.starts.load(kRelaxed);
  w.attached_unix_ms = s.attached_unix_ms.load(kRelaxed);
#define SPINDLE_COPY_CELL(kind, field, name, in_status, help) w.field = Load(s.field);
  SPINDLE_SCALAR_METRICS(SPINDLE_COPY_CELL)
#undef SPINDLE_COPY_CELL
  w.slow_slices = s.slow_slices.load(kRelaxed);
  w.slow_slice_ms = s.slow_slice_ms.load(kRelaxed);
  w.last_slow_route = s.last_slow_route.load(kRelaxed);
  w.last_slow_ms = s.last_slow_ms.load(kRelaxed);
  w.last_slow_unix_ms = s.last_slow_unix_ms.load(kRelaxed);
  w.latency = Copy(s.latency);
  w.queue_wait = Copy(s.queue_wait);
  w.requests.resize(static_cast<size_t>(routes) * kStatusBuckets);
  w.slow_by_route.resize(routes);
  for (uint32_t r = 0; r < routes; ++r) {
    for (size_t b = 0; b < kStatusBuckets; ++b) {
      w.requests[r * kStatusBuckets + b] = region.RequestsValue(index, r, b);
    }
    w.slow_by_route[r] = region.SlowByRouteValue(index, r);
  }
  for (const InflightEntry& e : s.inflight_table) {
    uint32_t tag = e.route_plus_one.load(std::memory_order_acquire);
    if (tag == 0 || tag == UINT32_MAX) continue;
    int64_t start = e.start_ns.load(kRelaxed);
    double age = start > 0 && now_ns > start ? (now_ns - start) / 1e9 : 0.0;
    w.inflight_requests.push_back({tag - 1, age});
  }
  SortOldestFirst(w.inflight_requests);
  CopyAppMetrics(region, index, app_metrics, w);
  if (!w.alive) {
    // What a dead process left behind is not in flight or open any more;
    // its counters stay (they are part of the monotonic sums).
#define SPINDLE_ZERO_GAUGE(kind, field, name, in_status, help) \
  if constexpr (IsGauge(MetricKind::kind)) w.field = 0;
    SPINDLE_SCALAR_METRICS(SPINDLE_ZERO_GAUGE)
#undef SPINDLE_ZERO_GAUGE
    w.inflight_requests.clear();
  }
  return w;
}

}  // namespace

uint64_t HistogramSnapshot::Count() const noexcept {
  uint64_t n = 0;
  for (uint64_t b : buckets) n += b;
  return n;
}

void HistogramSnapshot::Add(const HistogramSnapshot& o) noexcept {
  for (size_t i = 0; i < kBucketSlots; ++i) buckets[i] += o.buckets[i];
  sum_us += o.sum_us;
}

RegionSnapshot TakeSnapshot(const MetricsRegion& region) {
  RegionSnapshot snap;
  snap.taken_unix_ms = UnixMillis();
  const uint32_t routes = region.route_count();
  snap.routes.reserve(routes);
  for (uint32_t r = 0; r < routes; ++r) {
    snap.routes.push_back({std::string(region.RouteMethod(r)), std::string(region.RoutePattern(r))});
    if (snap.routes.back().pattern.empty()) snap.routes.back().pattern = "(other)";
  }
  const uint32_t app_count = region.app_metric_count();
  snap.app_metrics.reserve(app_count);
  for (uint32_t i = 0; i < app_count; ++i) {
    snap.app_metrics.push_back({region.AppMetricKindAt(i), std::string(region.AppMetricName(i)),
                                std::string(region.AppMetricHelp(i))});
  }
  const int64_t now_ns = MonotonicNs();
  for (unsigned i = 0; i < region.max_workers(); ++i) {
    if (region.Slot(i).pid.load(std::memory_order_acquire) == 0) continue;
    snap.workers.push_back(CopySlot(region, i, routes, snap.app_metrics, now_ns));
  }
  return snap;
}

WorkerSnapshot RegionSnapshot::Total() const {
  WorkerSnapshot t;
  t.requests.assign(routes.size() * kStatusBuckets, 0);
  t.slow_by_route.assign(routes.size(), 0);
  t.app_metrics.resize(app_metrics.size());
  for (const WorkerSnapshot& w : workers) {
    t.alive = t.alive || w.alive;
    t.starts += w.starts;
#define SPINDLE_SUM_FIELD(kind, field, name, in_status, help) t.field += w.field;
    SPINDLE_SCALAR_METRICS(SPINDLE_SUM_FIELD)
#undef SPINDLE_SUM_FIELD
    t.slow_slices += w.slow_slices;
    t.slow_slice_ms += w.slow_slice_ms;
    if (w.last_slow_unix_ms > t.last_slow_unix_ms) {
      t.last_slow_unix_ms = w.last_slow_unix_ms;
      t.last_slow_route = w.last_slow_route;
      t.last_slow_ms = w.last_slow_ms;
    }
    t.latency.Add(w.latency);
    t.queue_wait.Add(w.queue_wait);
    for (size_t i = 0; i < t.requests.size() && i < w.requests.size(); ++i) {
      t.requests[i] += w.requests[i];
    }
    for (size_t i = 0; i < t.slow_by_route.size() && i < w.slow_by_route.size(); ++i) {
      t.slow_by_route[i] += w.slow_by_route[i];
    }
    for (size_t i = 0; i < t.app_metrics.size() && i < w.app_metrics.size(); ++i) {
      t.app_metrics[i].counter += w.app_metrics[i].counter;
      t.app_metrics[i].gauge += w.app_metrics[i].gauge;
      t.app_metrics[i].histogram.Add(w.app_metrics[i].histogram);
    }
    t.inflight_requests.insert(t.inflight_requests.end(), w.inflight_requests.begin(),
                               w.inflight_requests.end());
  }
  SortOldestFirst(t.inflight_requests);
  return t;
}

}  // namespace spindle::observe
