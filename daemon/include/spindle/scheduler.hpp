// The per-thread fiber scheduler: a run queue, timers, an epoll reactor and an
// offload thread pool, all owned by one thread.
//
// Thread contract: construct, run() and destroy a Scheduler on one thread;
// only one Scheduler may run on a thread at a time. stop() may be called from
// any thread. The stats getters are safe from any thread (approximate).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string_view>

namespace spindle {

namespace engine {
class SchedulerImpl;
}

struct SchedulerOptions {
  // Usable bytes per fiber stack (rounded up to whole pages); each stack also
  // has one PROT_NONE guard page below it.
  size_t stack_size = 64 * 1024;
  // At most this many fibers (stacks) at once; spawn() beyond it throws
  // std::bad_alloc, as when the kernel refuses a stack mapping. 0: no cap.
  size_t max_fibers = 0;
  // Threads of the offload() pool (started on the first offload call).
  size_t offload_threads = 2;
  // How many fibers may run back to back before the scheduler polls for I/O,
  // timers and cross-thread wakeups again (fairness vs. throughput).
  size_t max_ready_per_poll = 64;
  // Watchdog: report a fiber that runs longer than this without suspending.
  // Zero disables the watchdog thread.
  std::chrono::milliseconds watchdog_threshold{50};
  // Optional; called once per slow slice, on the watchdog thread (keep it
  // short and thread-safe), with the fiber's name and how long it has run.
  std::function<void(std::string_view name, std::chrono::milliseconds ran)> on_slow_slice;
};

class Scheduler {
 public:
  explicit Scheduler(SchedulerOptions options = {});
  ~Scheduler();  // fibers still parked are unwound (RAII runs)
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  // Runs main_fn as the first fiber (named "main") and returns when every
  // fiber has ended, or stop() was called and the run queue drained. Fibers
  // still parked after a stop() stay parked until run() is called again or the
  // scheduler is destroyed. Must not be called from inside a fiber.
  void run(std::function<void()> main_fn);

  // Asks run() to return. Thread-safe; never suspends.
  void stop();

  // The scheduler running on this thread, or nullptr.
  static Scheduler* current() noexcept;

  size_t fibers_alive() const noexcept;
  size_t stack_bytes_in_use() const noexcept;
  // offload() jobs waiting for a pool thread (approximate).
  size_t offload_queue_depth() const noexcept;
  // How many slow slices the watchdog has reported.
  uint64_t slow_slices() const noexcept;
  // Context switches so far (the watchdog's heartbeat).
  uint64_t switches() const noexcept;
  const SchedulerOptions& options() const noexcept;

 private:
  std::unique_ptr<engine::SchedulerImpl> impl_;
};

}  // namespace spindle
