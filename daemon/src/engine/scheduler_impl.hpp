// SchedulerImpl: the per-thread engine core. Owns the run queue, the fiber
// records, the stack pool, the timer heap, the reactor, the offload pool and
// the watchdog, and implements switching, parking and waking. The hot path
// (switch, park, wake, yield) is inline here.
//
// Switching is symmetric: a fiber that parks or yields resumes the next ready
// fiber directly; only when the run queue is empty (or max_ready_per_poll
// fibers ran back to back) does control return to the dispatcher, the loop in
// Run() on the thread's own stack, which polls epoll with the nearest timer
// as its timeout (the scheduler/reactor seam).
//
// Every switch also swaps the C++ runtime's per-thread exception state (the
// caught-exception stack, the uncaught count) between the two fibers, in
// AfterSwitch on the resumed side (DestroyFiber swaps around its unwind), so
// suspending inside a catch block is safe (exception_state.hpp).
//
// Thread contract: everything runs on the scheduler thread, except Stop(),
// PostRemote() and the watchdog accessors (atomics / name mutex).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include <spindle/scheduler.hpp>

#include "engine/fiber_context.hpp"
#include "engine/reactor.hpp"
#include "engine/stack_pool.hpp"
#include "engine/timer_heap.hpp"
#include "engine/tsan_fiber.hpp"

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/common_interface_defs.h>
#endif

namespace spindle::engine {

class OffloadPool;
class Watchdog;

class SchedulerImpl {
 public:
  explicit SchedulerImpl(SchedulerOptions options);
  ~SchedulerImpl();
  SchedulerImpl(const SchedulerImpl&) = delete;
  SchedulerImpl& operator=(const SchedulerImpl&) = delete;

  // The scheduler whose Run() is active on this thread, or nullptr.
  static SchedulerImpl* Current() noexcept { return tls_current_; }
  Scheduler* owner() const noexcept { return owner_; }
  void set_owner(Scheduler* owner) noexcept { owner_ = owner; }

  void Run(std::function<void()> main_fn);
  void Stop() noexcept;

  // Returns the record with two references (scheduler + handle).
  FiberContext* Spawn(std::function<void()> fn, std::string name);
  void Release(FiberContext* fc) noexcept;
  void Cancel(FiberContext* fc) noexcept;
  // Inside an interruptible scope: ends the fiber's current cancellable wait
  // as if its deadline had passed (kTimeout), or, when it is not in one, its
  // next one in the scope (fiber_deadline.hpp). Outside one: nothing.
  void Interrupt(FiberContext* fc) noexcept;
  void SetName(FiberContext* fc, std::string name);

  FiberContext* Running() const noexcept { return running_; }
  bool InFiber() const noexcept { return !running_->is_dispatcher; }

  inline void Yield();
  // Parks the running fiber (which has already linked itself where its
  // waker will find it) until Wake(). Arms the deadline's timer.
  inline WaitStatus Park(Deadline deadline, bool cancellable);
  // Makes a parked fiber ready with `status`, detaching it from whatever it
  // waited on. False if it was not parked (the first waker wins).
  inline bool Wake(FiberContext* fc, WaitStatus status) noexcept;

  // fd waits (io.cpp).
  Reactor& reactor() noexcept { return reactor_; }
  // Offload: runs run(arg) on the pool, parks the caller until it is done.
  void Offload(void (*run)(void*) noexcept, void* arg);
  // Thread-safe: queue a parked fiber to be woken (kOk) by the scheduler.
  void PostRemote(FiberContext* fc);

  // Stats and watchdog support (any thread).
  size_t fibers_alive() const noexcept { return alive_.load(std::memory_order_relaxed); }
  size_t offload_queue_depth() const noexcept;
  size_t stack_bytes_in_use() const noexcept {
    return pool_.in_use() * pool_.usable_size();
  }
  uint64_t switches() const noexcept { return switches_.load(std::memory_order_relaxed); }
  uint64_t slow_slices() const noexcept { return slow_slices_.load(std::memory_order_relaxed); }
  const SchedulerOptions& options() const noexcept { return options_; }
  // Watchdog thread: the fiber that was switched to last (nullptr or the
  // dispatcher when idle), and a copy of a record's name.
  const FiberContext* WatchCurrent() const noexcept {
    return watch_current_.load(std::memory_order_relaxed);
  }
  const FiberContext* Dispatcher() const noexcept { return &dispatcher_; }
  std::string CopyName(const FiberContext* fc);
  void CountSlowSlice() noexcept { slow_slices_.fetch_add(1, std::memory_order_relaxed); }

  // The running fiber's usable stack (lowest address, size); {nullptr, 0}
  // on the dispatcher.
  std::pair<void*, size_t> CurrentStack() const noexcept {
    return {running_->stack_lo, running_->stack_size};
  }

 private:
  static inline thread_local SchedulerImpl* tls_current_
      __attribute__((tls_model("initial-exec"))) = nullptr;

  inline void SwitchTo(FiberContext* next);
  inline void AfterSwitch(boost::context::fiber&& from, FiberContext* self) noexcept;
  inline FiberContext* NextToRun() noexcept;
  inline void PushReady(FiberContext* fc) noexcept;
  inline FiberContext* PopReady() noexcept;
  inline void MarkSwitch(FiberContext* next) noexcept;

  boost::context::fiber FiberMain(FiberContext* fc, boost::context::fiber&& caller);
  void RunBody(FiberContext* fc) noexcept(false);
  boost::context::fiber Finish(FiberContext* fc);
  void PollOnce(bool may_block);
  void DrainRemote();
  void SpinForRemote() noexcept;
  void DestroyFiber(FiberContext* fc);
  void LinkAll(FiberContext* fc) noexcept;
  void UnlinkAll(FiberContext* fc) noexcept;
  FiberContext* AllocContext();
  static void OnIoReady(void* self, FiberContext* fc, unsigned ready);

  SchedulerOptions options_;
  Scheduler* owner_ = nullptr;
  StackPool pool_;
  TimerHeap timers_;
  Reactor reactor_;

  FiberContext dispatcher_;
  FiberContext* running_ = &dispatcher_;
  FiberContext* prev_ = nullptr;  // who switched to the context now running
  FiberContext* run_head_ = nullptr;
  FiberContext* run_tail_ = nullptr;
  size_t ready_streak_ = 0;
  FiberContext* all_head_ = nullptr;
  FiberContext* free_contexts_ = nullptr;
  std::vector<std::unique_ptr<FiberContext>> contexts_;  // owns every record
  bool deadlock_logged_ = false;
  bool in_run_ = false;

  std::atomic<size_t> alive_{0};
  std::atomic<uint64_t> switches_{0};
  std::atomic<uint64_t> slow_slices_{0};
  std::atomic<const FiberContext*> watch_current_{nullptr};
  std::mutex name_mutex_;  // guards FiberContext::name against the watchdog
  // This thread's exception state (ExceptionState), looked up once per Run().
  __cxxabiv1::__cxa_eh_globals* eh_globals_ = nullptr;

  std::atomic<bool> stop_requested_{false};
  std::atomic<bool> remote_pending_{false};
  std::mutex remote_mutex_;
  std::vector<FiberContext*> remote_;
  std::vector<FiberContext*> remote_batch_;
  size_t offloads_in_flight_ = 0;

  std::unique_ptr<OffloadPool> offload_pool_;
  std::unique_ptr<Watchdog> watchdog_;
};

// ---- inline hot path ------------------------------------------------------

inline void SchedulerImpl::MarkSwitch(FiberContext* next) noexcept {
  // Relaxed load+store, not fetch_add: the scheduler thread is the only
  // writer, and the watchdog only needs to see the value move.
  switches_.store(switches_.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
  watch_current_.store(next, std::memory_order_relaxed);
}

inline void SchedulerImpl::PushReady(FiberContext* fc) noexcept {
  fc->state = FiberContext::State::kReady;
  fc->next_ready = nullptr;
  if (run_tail_) {
    run_tail_->next_ready = fc;
  } else {
    run_head_ = fc;
  }
  run_tail_ = fc;
}

inline FiberContext* SchedulerImpl::PopReady() noexcept {
  FiberContext* fc = run_head_;
  run_head_ = fc->next_ready;
  if (!run_head_) run_tail_ = nullptr;
  return fc;
}

inline FiberContext* SchedulerImpl::NextToRun() noexcept {
  if (run_head_ && ready_streak_ < options_.max_ready_per_poll) {
    ++ready_streak_;
    return PopReady();
  }
  return &dispatcher_;
}

inline void SchedulerImpl::AfterSwitch(boost::context::fiber&& from, FiberContext* self) noexcept {
#if defined(__SANITIZE_ADDRESS__)
  const void* lo = nullptr;
  size_t size = 0;
  __sanitizer_finish_switch_fiber(self->asan_fake_stack, &lo, &size);
  if (prev_->is_dispatcher) {
    prev_->stack_lo = const_cast<void*>(lo);
    prev_->stack_size = size;
  }
#else
  (void)self;
#endif
#if defined(__SANITIZE_THREAD__)
  // Finish() does not announce the switch away from a finished fiber (its
  // last frames still return on its own context): the resumed side does,
  // and retires the finished fiber's context.
  if (prev_->state == FiberContext::State::kDone && prev_->tsan_fiber != nullptr) {
    tsan::SwitchTo(self->tsan_fiber);
    tsan::Destroy(prev_->tsan_fiber);
    prev_->tsan_fiber = nullptr;
  }
#endif
  // The outgoing fiber's exception state leaves with it; ours comes back.
  prev_->eh.SaveFrom(eh_globals_);
  self->eh.RestoreTo(eh_globals_);
  prev_->cont = std::move(from);
}

inline void SchedulerImpl::SwitchTo(FiberContext* next) {
  FiberContext* self = running_;
  running_ = next;
  prev_ = self;
  next->state = FiberContext::State::kRunning;
  MarkSwitch(next);
#if defined(__SANITIZE_ADDRESS__)
  __sanitizer_start_switch_fiber(&self->asan_fake_stack, next->stack_lo, next->stack_size);
#endif
#if defined(__SANITIZE_THREAD__)
  tsan::SwitchTo(next->tsan_fiber);
#endif
  boost::context::fiber from = std::move(next->cont).resume();
  AfterSwitch(std::move(from), self);
}

inline void SchedulerImpl::Yield() {
  FiberContext* self = running_;
  if (self->is_dispatcher || self->unwinding) return;
  PushReady(self);
  FiberContext* next = NextToRun();
  if (next == self) {
    self->state = FiberContext::State::kRunning;
    return;
  }
  SwitchTo(next);
}

inline WaitStatus SchedulerImpl::Park(Deadline deadline, bool cancellable) {
  FiberContext* self = running_;
  self->state = FiberContext::State::kParked;
  self->cancellable = cancellable;
  if (!deadline.is_never()) timers_.Arm(self, deadline.time_point());
  if (cancellable && self->wake_early) {
    // Interrupted before it parked: the wait ends at once, as a timeout,
    // after the other ready fibers had their turn.
    self->wake_early = false;
    Wake(self, WaitStatus::kTimeout);
    FiberContext* next = NextToRun();
    if (next == self) {
      self->state = FiberContext::State::kRunning;
      return self->wake_status;
    }
    SwitchTo(next);
    return self->wake_status;
  }
  SwitchTo(NextToRun());
  return self->wake_status;
}

inline bool SchedulerImpl::Wake(FiberContext* fc, WaitStatus status) noexcept {
  if (fc->state != FiberContext::State::kParked) return false;
  fc->wake_status = status;
  if (fc->wait_node) {
    if (fc->wait_node->list) fc->wait_node->list->Unlink(fc->wait_node);
    fc->wait_node = nullptr;
  }
  if (fc->heap_index != FiberContext::kNoHeapIndex) timers_.Cancel(fc);
  if (fc->io_fd >= 0) reactor_.RemoveWaiter(fc);
  PushReady(fc);
  return true;
}

}  // namespace spindle::engine
