// metrics_layout.hpp: the byte layout of the shared metrics region: fixed
// bucket bounds, the status-code buckets, and the structs that live in the
// MAP_SHARED mapping (header, route table, app-metric table, per-worker
// slot). The slot's scalar cells are generated from metrics_table.hpp.
//
// Thread/process contract: everything here is read and written by several
// processes at once through relaxed std::atomic (all lock-free, checked below),
// never through locks. Values are approximate snapshots while writers run; a
// counter is never reset, so sums across slots stay monotonic.
#pragma once

#include "observe/metrics_table.hpp"

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace spindle::observe {

static_assert(std::atomic<uint64_t>::is_always_lock_free);
static_assert(std::atomic<int64_t>::is_always_lock_free);
static_assert(std::atomic<uint32_t>::is_always_lock_free);

// Request latency and queue wait share these bounds (Prometheus `le`, seconds).
inline constexpr std::array<uint64_t, 13> kBucketBoundsUs = {
    1000, 2500, 5000, 10000, 25000, 50000, 100000,
    250000, 500000, 1000000, 2500000, 5000000, 10000000};
inline constexpr std::array<std::string_view, 13> kBucketLabels = {
    "0.001", "0.0025", "0.005", "0.01", "0.025", "0.05", "0.1",
    "0.25", "0.5", "1", "2.5", "5", "10"};
inline constexpr size_t kBucketSlots = kBucketBoundsUs.size() + 1;  // + +Inf

// Status codes counted exactly; everything else lands in "other".
inline constexpr std::array<uint16_t, 23> kStatusCodes = {
    200, 201, 204, 206, 301, 302, 304, 307, 308, 400, 401, 403,
    404, 405, 408, 409, 413, 429, 499, 500, 502, 503, 504};
inline constexpr size_t kStatusBuckets = kStatusCodes.size() + 1;
inline constexpr size_t kStatusOther = kStatusCodes.size();

// Per worker, the first kInflightEntries in-flight requests are tracked with
// route and start time (for /status); more are only counted.
inline constexpr size_t kInflightEntries = 64;

// Route table: index 0 is requests that matched no route, index 1 takes
// routes registered after the table filled up.
inline constexpr uint32_t kRouteNone = 0;
inline constexpr uint32_t kRouteOverflow = 1;
inline constexpr size_t kRouteMethodMax = 16;
inline constexpr size_t kRoutePatternMax = 112;

size_t StatusBucket(int status) noexcept;

// A histogram in shared memory: per-bucket (not cumulative) counts.
struct SharedHistogram {
  std::atomic<uint64_t> buckets[kBucketSlots];
  std::atomic<uint64_t> count;
  std::atomic<uint64_t> sum_us;

  void Record(uint64_t us) noexcept;
};

// A kSampledCounter in shared memory: the attached process's last sample
// (`current`) and what earlier processes of the slot left (`base`).
struct SampledCounterCell {
  std::atomic<uint64_t> base;
  std::atomic<uint64_t> current;
};

// The shared-memory cell of a scalar metric of metrics_table.hpp.
template <MetricKind K>
using SlotCell = std::conditional_t<
    K == MetricKind::kSampledCounter, SampledCounterCell,
    std::conditional_t<K == MetricKind::kCounter, std::atomic<uint64_t>, std::atomic<int64_t>>>;

struct RouteEntry {
  enum : uint32_t { kFree = 0, kWriting = 1, kReady = 2 };
  std::atomic<uint32_t> state;
  char method[kRouteMethodMax];   // NUL-terminated
  char pattern[kRoutePatternMax];  // NUL-terminated
};

// App metrics (<spindle/metrics.hpp>): a shared, append-only table of names
// claimed like the route table, so every worker agrees on each metric's
// index; each slot holds one cell of kAppCellBytes per table entry. A
// cell is an std::atomic<uint64_t> (counter), std::atomic<int64_t> (gauge)
// or a SharedHistogram, as its entry's kind says; an entry's kind never
// changes, and zeroed bytes are a valid zero of each.
enum class AppMetricKind : uint32_t { kCounter = 1, kGauge = 2, kHistogram = 3 };
inline constexpr size_t kAppMetricNameMax = 128;  // bytes, with the NUL
inline constexpr size_t kAppMetricHelpMax = 256;  // bytes, with the NUL

struct AppMetricEntry {
  enum : uint32_t { kFree = 0, kWriting = 1, kReady = 2 };
  std::atomic<uint32_t> state;
  AppMetricKind kind;           // written before state becomes kReady
  char name[kAppMetricNameMax];  // NUL-terminated
  char help[kAppMetricHelpMax];  // NUL-terminated
};

inline constexpr size_t kAppCellBytes = sizeof(SharedHistogram);
static_assert(kAppCellBytes % alignof(std::atomic<uint64_t>) == 0);
static_assert(alignof(SharedHistogram) <= alignof(std::atomic<uint64_t>));

struct InflightEntry {
  std::atomic<uint32_t> route_plus_one;  // 0 = free
  std::atomic<int64_t> start_ns;         // CLOCK_MONOTONIC
};

// One worker's slot. The variable part (requests by route and status, slow
// slices by route, then the app-metric cells) follows it at WorkerSlot +
// sizeof(WorkerSlot).
struct WorkerSlot {
  std::atomic<int64_t> pid;          // 0 = never attached
  std::atomic<uint64_t> starts;      // processes that attached to this slot
  std::atomic<int64_t> attached_unix_ms;

  // The scalar metrics (metrics_table.hpp), in table order.
#define SPINDLE_SLOT_FIELD(kind, field, name, in_status, help) SlotCell<MetricKind::kind> field;
  SPINDLE_SCALAR_METRICS(SPINDLE_SLOT_FIELD)
#undef SPINDLE_SLOT_FIELD

  // The watchdog's reports (rendered by route, see metrics_region.hpp).
  std::atomic<uint64_t> slow_slices;
  std::atomic<uint64_t> slow_slice_ms;  // sum of reported durations
  std::atomic<uint32_t> last_slow_route;
  std::atomic<uint64_t> last_slow_ms;
  std::atomic<int64_t> last_slow_unix_ms;

  SharedHistogram latency;
  SharedHistogram queue_wait;

  InflightEntry inflight_table[kInflightEntries];
};

// Identifies the slot layout: FNV-1a over the scalar rows of
// metrics_table.hpp (kind and field, in order) and sizeof(WorkerSlot), so
// editing the table changes it without anyone bumping a version. The region
// is only ever shared by fork() (an anonymous mapping does not survive
// exec), so every reader is the binary that created it and nothing needs to
// check it at run time; it tells a core-file or debugger reader which layout
// the bytes follow.
constexpr uint64_t LayoutFingerprint() {
  uint64_t h = 0xcbf29ce484222325ull;
  auto mix = [&h](std::string_view s) {
    for (char c : s) h = (h ^ static_cast<unsigned char>(c)) * 0x100000001b3ull;
  };
#define SPINDLE_LAYOUT_ROW(kind, field, name, in_status, help) mix(#kind " " #field ";");
  SPINDLE_SCALAR_METRICS(SPINDLE_LAYOUT_ROW)
#undef SPINDLE_LAYOUT_ROW
  for (size_t n = sizeof(WorkerSlot); n > 0; n >>= 8) h = (h ^ (n & 0xff)) * 0x100000001b3ull;
  return h;
}

struct RegionHeader {
  static constexpr uint64_t kMagic = 0x31534D4C444E4953ull;  // "SINDLMS1"
  uint64_t magic;
  uint64_t layout;  // LayoutFingerprint() of the binary that created it
  uint32_t max_workers;
  uint32_t max_routes;
  uint32_t max_app_metrics;
  uint64_t slot_stride;    // bytes per worker slot, including its variable part
  uint64_t routes_offset;  // from the region start
  uint64_t app_metrics_offset;  // the app-metric table, from the region start
  uint64_t app_cells_offset;    // a slot's app-metric cells, from the slot start
  uint64_t slots_offset;
  uint64_t total_size;
};

}  // namespace spindle::observe
