// metrics_region.hpp: the metrics shared by all worker processes: one
// mmap(MAP_SHARED | MAP_ANONYMOUS) region of fixed size, created by the master
// before it forks, holding a route table, the app-metric table and one slot
// per worker. Any process that inherited the mapping reads every slot (sum or
// per worker) without IPC.
//
// Process/thread contract: Create() in the master before fork(); the children
// inherit the mapping. All reads and writes are relaxed atomics, safe from any
// thread of any process. The route table is append-only; a route's index never
// changes, so counters indexed by route are stable across workers, respawns
// and reloads (the same method + pattern always gets the same index). The
// app-metric table follows the same rules, by name.
#pragma once

#include "observe/metrics_layout.hpp"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace spindle::observe {

struct RegionOptions {
  // Slots; give each live worker process its own slot. Size it for the
  // overlap of a reload (old workers draining while new ones start): twice
  // the configured workers is the usual choice.
  unsigned max_workers = 2;
  // Route table entries, including the two reserved ones (none, overflow).
  unsigned max_routes = 256;
  // App metric table entries (<spindle/metrics.hpp>); 0 refuses every one.
  unsigned max_app_metrics = 64;
};

// What RegisterAppMetric did. `index`: the metric's (kOk) or the entry that
// is in the way (kKindMismatch, kHelpMismatch, kSeriesClash).
struct AppMetricClaim {
  enum Status {
    kOk,            // added, or already there with this kind and help
    kFull,          // no free entry
    kTooLong,       // name or help does not fit its field
    kKindMismatch,  // the name is registered with another kind
    kHelpMismatch,  // ... with another help text
    kSeriesClash,   // a histogram's _bucket/_sum/_count series would be
                    // another metric's name (either way round)
  };
  Status status = kFull;
  uint32_t index = 0;
};

class MetricsRegion {
 public:
  // Maps and zeroes a new region; nullptr (and *err) when mmap fails or the
  // options are out of range (1..4096 workers, 3..65536 routes).
  static std::unique_ptr<MetricsRegion> Create(const RegionOptions& options,
                                               std::string* err);
  ~MetricsRegion();  // unmaps (in the process that destroys it)
  MetricsRegion(const MetricsRegion&) = delete;
  MetricsRegion& operator=(const MetricsRegion&) = delete;

  unsigned max_workers() const noexcept { return header_->max_workers; }
  unsigned max_routes() const noexcept { return header_->max_routes; }
  unsigned max_app_metrics() const noexcept { return header_->max_app_metrics; }
  size_t size() const noexcept { return size_; }

  // Finds or adds the route "METHOD PATTERN" (lock-free; concurrent callers
  // in different processes agree on one index). Returns kRouteOverflow when
  // the table is full. Labels longer than the fixed fields are truncated.
  uint32_t RegisterRoute(std::string_view method, std::string_view pattern) noexcept;
  // Looks a route up by "METHOD PATTERN" or by pattern alone (first match);
  // kRouteNone when unknown. Never adds.
  uint32_t FindRoute(std::string_view name) const noexcept;
  // Routes registered so far (indexes 0..route_count()-1 are readable).
  uint32_t route_count() const noexcept;
  std::string_view RouteMethod(uint32_t index) const noexcept;
  std::string_view RoutePattern(uint32_t index) const noexcept;
  // "GET /users/{id}", "(none)" or "(other)".
  std::string RouteLabel(uint32_t index) const;

  // Finds or adds the app metric `name` (lock-free like RegisterRoute;
  // concurrent callers in different processes agree on one index). The
  // caller validates the name; this only refuses what cannot be stored or
  // would be ambiguous in the Prometheus text.
  AppMetricClaim RegisterAppMetric(AppMetricKind kind, std::string_view name,
                                   std::string_view help) noexcept;
  // App metrics registered so far (indexes 0..app_metric_count()-1; an
  // entry whose writer died mid-write reads as kind 0 with an empty name).
  uint32_t app_metric_count() const noexcept;
  AppMetricKind AppMetricKindAt(uint32_t index) const noexcept;  // 0 when not ready
  std::string_view AppMetricName(uint32_t index) const noexcept;
  std::string_view AppMetricHelp(uint32_t index) const noexcept;
  // One worker's cell of app metric `index`, as its kind says.
  std::atomic<uint64_t>& AppCounter(unsigned worker, uint32_t index) noexcept;
  std::atomic<int64_t>& AppGauge(unsigned worker, uint32_t index) noexcept;
  SharedHistogram& AppHistogram(unsigned worker, uint32_t index) noexcept;
  const std::atomic<uint64_t>& AppCounter(unsigned worker, uint32_t index) const noexcept;
  const std::atomic<int64_t>& AppGauge(unsigned worker, uint32_t index) const noexcept;
  const SharedHistogram& AppHistogram(unsigned worker, uint32_t index) const noexcept;

  WorkerSlot& Slot(unsigned worker) noexcept;
  const WorkerSlot& Slot(unsigned worker) const noexcept;
  // Requests counter for (route, status bucket) of one worker.
  std::atomic<uint64_t>& Requests(unsigned worker, uint32_t route, size_t status_bucket) noexcept;
  uint64_t RequestsValue(unsigned worker, uint32_t route, size_t status_bucket) const noexcept;
  std::atomic<uint64_t>& SlowByRoute(unsigned worker, uint32_t route) noexcept;
  uint64_t SlowByRouteValue(unsigned worker, uint32_t route) const noexcept;

  // Claims `worker`'s slot for the calling process: records its pid, counts a
  // start, folds the previous process's Redis/PostgreSQL snapshot into the base, and
  // resets the gauges (app gauges included) and in-flight table the previous
  // process left behind (counters and histograms keep counting). Call once
  // in a worker right after fork().
  void AttachWorker(unsigned worker) noexcept;

 private:
  MetricsRegion(void* base, size_t size);
  uint8_t* SlotBytes(unsigned worker) const noexcept;
  RouteEntry& Route(uint32_t index) const noexcept;
  AppMetricEntry& AppEntry(uint32_t index) const noexcept;
  uint8_t* AppCell(unsigned worker, uint32_t index) const noexcept;

  uint8_t* base_;
  size_t size_;
  RegionHeader* header_;
};

}  // namespace spindle::observe
