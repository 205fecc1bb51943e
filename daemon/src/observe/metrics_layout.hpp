// metrics_layout.hpp: the byte layout of the shared metrics region: fixed
// bucket bounds, the status-code buckets, and the structs that live in the
// MAP_SHARED mapping (header, route table, per-worker slot).
//
// Thread/process contract: everything here is read and written by several
// processes at once through relaxed std::atomic (all lock-free, checked below),
// never through locks. Values are approximate snapshots while writers run; a
// counter is never reset, so sums across slots stay monotonic.
#pragma once

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

// Indexes of the Redis client counters in WorkerSlot::redis_*.
enum RedisCounter : size_t {
  kRedisCommands, kRedisErrors, kRedisTimeouts, kRedisReconnects, kRedisPoolWaits,
  kRedisCounterCount
};

size_t StatusBucket(int status) noexcept;

// A histogram in shared memory: per-bucket (not cumulative) counts.
struct SharedHistogram {
  std::atomic<uint64_t> buckets[kBucketSlots];
  std::atomic<uint64_t> count;
  std::atomic<uint64_t> sum_us;

  void Record(uint64_t us) noexcept;
};

struct RouteEntry {
  enum : uint32_t { kFree = 0, kWriting = 1, kReady = 2 };
  std::atomic<uint32_t> state;
  char method[kRouteMethodMax];   // NUL-terminated
  char pattern[kRoutePatternMax];  // NUL-terminated
};

struct InflightEntry {
  std::atomic<uint32_t> route_plus_one;  // 0 = free
  std::atomic<int64_t> start_ns;         // CLOCK_MONOTONIC
};

// One worker's slot. The variable part (requests by route and status, slow
// slices by route) follows it at WorkerSlot + sizeof(WorkerSlot).
struct WorkerSlot {
  std::atomic<int64_t> pid;          // 0 = never attached
  std::atomic<uint64_t> starts;      // processes that attached to this slot
  std::atomic<int64_t> attached_unix_ms;

  std::atomic<uint64_t> connections_accepted;
  std::atomic<uint64_t> spawn_failures;  // fibers refused (stack mmap, max_fibers)
  std::atomic<uint64_t> response_bytes;
  std::atomic<uint64_t> slow_slices;
  std::atomic<uint64_t> slow_slice_ms;  // sum of reported durations
  std::atomic<uint32_t> last_slow_route;
  std::atomic<uint64_t> last_slow_ms;
  std::atomic<int64_t> last_slow_unix_ms;

  // Up/down gauges (updated by +1/-1, reset when a new process attaches).
  std::atomic<int64_t> connections_open;
  std::atomic<int64_t> inflight;
  // Sampled gauges (set by the worker's periodic update).
  std::atomic<int64_t> queue_depth;
  std::atomic<int64_t> fibers_alive;
  std::atomic<int64_t> stack_bytes;
  std::atomic<int64_t> offload_queue;
  std::atomic<int64_t> redis_connections_open;

  // Redis counters arrive as absolute snapshots from the client; a process's
  // snapshot goes to *_current and is folded into *_base when the next
  // process attaches, so the sum stays monotonic across respawns.
  std::atomic<uint64_t> redis_base[kRedisCounterCount];
  std::atomic<uint64_t> redis_current[kRedisCounterCount];

  SharedHistogram latency;
  SharedHistogram queue_wait;

  InflightEntry inflight_table[kInflightEntries];
};

struct RegionHeader {
  static constexpr uint64_t kMagic = 0x31534D4C444E4953ull;  // "SINDLMS1"
  uint64_t magic;
  uint32_t max_workers;
  uint32_t max_routes;
  uint64_t slot_stride;    // bytes per worker slot, including its variable part
  uint64_t routes_offset;  // from the region start
  uint64_t slots_offset;
  uint64_t total_size;
};

}  // namespace spindle::observe
