// metrics.hpp: an app's own Prometheus metrics (public app API): counters,
// gauges and histograms that spindled renders on the admin socket's
// /metrics next to its own spindle_* families, summed over the workers.
//
//   spindle::Counter logins = spindle::metrics::counter("myapp_logins_total", "Logins.");
//   spindle::Gauge rooms = spindle::metrics::gauge("myapp_rooms_open", "Rooms open.");
//   spindle::Histogram render = spindle::metrics::histogram("myapp_render_seconds",
//                                                            "Page render time.");
//   logins.inc();  rooms.add(1);  render.observe(std::chrono::microseconds(1500));
//
// Register in the app's init (each worker runs it and registers the same
// names; a name always gets the same shared table entry). The values live in
// spindled's shared metrics region, one cell per worker process:
// recording is one relaxed atomic operation on this worker's own cell (a
// histogram: three), never locks, never allocates and never suspends.
//
// Thread/fiber contract: registration never suspends (it scans a small
// table; call it from init, not per request). Handles are plain pointers,
// cheap to copy, and may be used from any fiber or thread (offload) of the
// worker that registered them, for the life of the worker process. Outside
// a worker with a metrics slot (metrics.enabled: false, a unit test or tool
// without spindled) registration only validates its arguments and returns a
// handle that records nothing.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string_view>

namespace spindle {

class Counter;
class Gauge;
class Histogram;

namespace metrics {

// Each returns the handle of metric `name`, adding it to the shared table the
// first time any worker asks. `name` must match [a-zA-Z_:][a-zA-Z0-9_:]*, be
// at most 127 bytes and not start with "spindle_" (spindled's own); a
// counter's name ends in "_total". `help` (the # HELP text) is one line of
// 1..255 bytes without control characters. Throws std::invalid_argument for
// a bad name or help, for a name already registered with another kind or
// another help text, and for a histogram whose name_bucket/_sum/_count
// series would be another metric's name (either way round);
// std::length_error when the table is full (its size is the config key
// metrics.max_app_metrics).
Counter counter(std::string_view name, std::string_view help);
Gauge gauge(std::string_view name, std::string_view help);
// The buckets are the region's fixed bounds (those of
// spindle_request_duration_seconds): 1 ms, 2.5, 5, 10, 25, 50, 100, 250,
// 500 ms, 1 s, 2.5, 5, 10 s, +Inf. Values are kept in whole microseconds.
Histogram histogram(std::string_view name, std::string_view help);

}  // namespace metrics

// A monotonic count. This worker's part survives a respawn of the worker (the
// new process counts on in the same cell), so the sum only grows.
class Counter {
 public:
  Counter() noexcept = default;  // records nothing
  void inc() const noexcept { add(1); }
  void add(uint64_t n) const noexcept {
    if (cell_) cell_->fetch_add(n, std::memory_order_relaxed);
  }
  // False for a handle that records nothing (default-constructed, or
  // registered outside a worker with a metrics slot).
  bool recording() const noexcept { return cell_ != nullptr; }

 private:
  friend Counter metrics::counter(std::string_view, std::string_view);
  explicit Counter(std::atomic<uint64_t>* cell) noexcept : cell_(cell) {}
  std::atomic<uint64_t>* cell_ = nullptr;
};

// A value that goes up and down, summed over workers on /metrics. This
// worker's part restarts at 0 when a new process takes over its slot and
// reads as 0 while the slot's process is gone.
class Gauge {
 public:
  Gauge() noexcept = default;  // records nothing
  void set(int64_t v) const noexcept {
    if (cell_) cell_->store(v, std::memory_order_relaxed);
  }
  void add(int64_t d) const noexcept {
    if (cell_) cell_->fetch_add(d, std::memory_order_relaxed);
  }
  void inc() const noexcept { add(1); }
  void dec() const noexcept { add(-1); }
  bool recording() const noexcept { return cell_ != nullptr; }

 private:
  friend Gauge metrics::gauge(std::string_view, std::string_view);
  explicit Gauge(std::atomic<int64_t>* cell) noexcept : cell_(cell) {}
  std::atomic<int64_t>* cell_ = nullptr;
};

// A distribution of durations (or any value in seconds) over the fixed
// buckets above. Like a counter, it survives a respawn.
class Histogram {
 public:
  Histogram() noexcept = default;  // records nothing
  // Negative values and NaN count as 0; values beyond 10 s land in +Inf.
  void observe(double seconds) const noexcept;
  // Any duration (through double seconds: exact to the microsecond for
  // ~285 years, and no integer overflow for absurd values).
  template <class Rep, class Period>
  void observe(std::chrono::duration<Rep, Period> d) const noexcept {
    observe(std::chrono::duration<double>(d).count());
  }
  void observe_us(uint64_t microseconds) const noexcept;
  bool recording() const noexcept { return cell_ != nullptr; }

 private:
  friend Histogram metrics::histogram(std::string_view, std::string_view);
  explicit Histogram(void* cell) noexcept : cell_(cell) {}
  void* cell_ = nullptr;  // the worker's observe::SharedHistogram
};

}  // namespace spindle
