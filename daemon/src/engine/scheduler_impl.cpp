// SchedulerImpl: fiber lifecycle, the dispatcher loop (the reactor seam),
// remote wakeups and teardown. See scheduler_impl.hpp. Scheduler thread
// only, except Stop() and PostRemote().
#include "engine/scheduler_impl.hpp"

#include "engine/overflow_report.hpp"

#include <boost/context/detail/exception.hpp>

#include <stdexcept>
#include <utility>

#include <spdlog/spdlog.h>

#include <spindle/fiber.hpp>

#include "engine/cpu_relax.hpp"
#include "engine/offload_pool.hpp"
#include "engine/watchdog.hpp"

namespace spindle::engine {

namespace {

size_t EffectiveStackSize(size_t requested) {
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
  // ASan's redzones make frames several times larger; TSan's runtime
  // (reports, symbolising) runs on the fiber's stack.
  return requested * 4;
#else
  return requested;
#endif
}

timespec ToTimespec(Clock::duration d) {
  if (d < Clock::duration::zero()) d = Clock::duration::zero();
  const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(d).count();
  return timespec{static_cast<time_t>(ns / 1000000000), static_cast<long>(ns % 1000000000)};
}

}  // namespace

SchedulerImpl::SchedulerImpl(SchedulerOptions options)
    : options_(std::move(options)),
      pool_(EffectiveStackSize(options_.stack_size), 256, options_.max_fibers) {
  if (options_.max_ready_per_poll == 0) options_.max_ready_per_poll = 1;
  dispatcher_.is_dispatcher = true;
  dispatcher_.state = FiberContext::State::kRunning;
  dispatcher_.name = "dispatcher";
  if (options_.watchdog_threshold.count() > 0) {
    watchdog_ = std::make_unique<Watchdog>(*this, options_.watchdog_threshold,
                                           options_.on_slow_slice);
  }
}

SchedulerImpl::~SchedulerImpl() {
  watchdog_.reset();
  // Jobs may reference the stacks of fibers parked in offload(): let them
  // finish before those stacks are unwound.
  offload_pool_.reset();
  SchedulerImpl* saved = tls_current_;
  tls_current_ = this;
  run_head_ = run_tail_ = nullptr;
  while (all_head_) DestroyFiber(all_head_);
  run_head_ = run_tail_ = nullptr;
  tls_current_ = saved;
}

FiberContext* SchedulerImpl::AllocContext() {
  if (free_contexts_) {
    FiberContext* fc = free_contexts_;
    free_contexts_ = fc->next_ready;
    fc->next_ready = nullptr;
    return fc;
  }
  contexts_.push_back(std::make_unique<FiberContext>());
  return contexts_.back().get();
}

FiberContext* SchedulerImpl::Spawn(std::function<void()> fn, std::string name) {
  FiberContext* fc = AllocContext();
#if defined(__SANITIZE_THREAD__)
  // Boost's creation jump runs the new fiber's entry code: on its context.
  void* spawner = tsan::Current();
  fc->tsan_fiber = tsan::Create();
  tsan::SwitchTo(fc->tsan_fiber);
#endif
  try {
    fc->cont = boost::context::fiber(
        std::allocator_arg, PooledStack{&pool_},
        [this, fc](boost::context::fiber&& caller) { return FiberMain(fc, std::move(caller)); });
  } catch (...) {
#if defined(__SANITIZE_THREAD__)
    tsan::SwitchTo(spawner);
    tsan::Destroy(fc->tsan_fiber);
    fc->tsan_fiber = nullptr;
#endif
    fc->next_ready = free_contexts_;
    free_contexts_ = fc;
    throw;
  }
#if defined(__SANITIZE_THREAD__)
  tsan::SwitchTo(spawner);
#endif
  const boost::context::stack_context& sctx = pool_.last_allocated();
  fc->stack_lo = static_cast<char*>(sctx.sp) - sctx.size;
  fc->stack_size = sctx.size;
  fc->fn = std::move(fn);
  if (!name.empty() || !fc->name.empty()) SetName(fc, std::move(name));
  fc->sched = this;
  fc->refs = 2;
  fc->cancelled = false;
  fc->interruptible = 0;
  fc->wake_early = false;
  fc->inherited_deadline = Clock::time_point::max();
  fc->unwinding = false;
  fc->started = false;
  fc->wake_status = WaitStatus::kOk;
  fc->eh.Clear();
  LinkAll(fc);
  alive_.store(alive_.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
  PushReady(fc);
  return fc;
}

void SchedulerImpl::SetName(FiberContext* fc, std::string name) {
  if (watchdog_) {
    std::lock_guard<std::mutex> lock(name_mutex_);
    fc->name = std::move(name);
  } else {
    fc->name = std::move(name);
  }
}

std::string SchedulerImpl::CopyName(const FiberContext* fc) {
  std::lock_guard<std::mutex> lock(name_mutex_);
  return fc->name;
}

void SchedulerImpl::Release(FiberContext* fc) noexcept {
  if (--fc->refs > 0) return;
  fc->fn = nullptr;
  fc->next_ready = free_contexts_;
  free_contexts_ = fc;
}

void SchedulerImpl::Cancel(FiberContext* fc) noexcept {
  if (fc->state == FiberContext::State::kDone) return;
  fc->cancelled = true;
  if (fc->state == FiberContext::State::kParked && fc->cancellable) {
    Wake(fc, WaitStatus::kCancelled);
  }
}

void SchedulerImpl::Interrupt(FiberContext* fc) noexcept {
  if (fc->state == FiberContext::State::kDone || fc->interruptible == 0) return;
  if (fc->state == FiberContext::State::kParked && fc->cancellable) {
    Wake(fc, WaitStatus::kTimeout);
  } else {
    fc->wake_early = true;
  }
}

void SchedulerImpl::LinkAll(FiberContext* fc) noexcept {
  fc->all_prev = nullptr;
  fc->all_next = all_head_;
  if (all_head_) all_head_->all_prev = fc;
  all_head_ = fc;
}

void SchedulerImpl::UnlinkAll(FiberContext* fc) noexcept {
  if (fc->all_prev) fc->all_prev->all_next = fc->all_next;
  else all_head_ = fc->all_next;
  if (fc->all_next) fc->all_next->all_prev = fc->all_prev;
  fc->all_prev = fc->all_next = nullptr;
}

boost::context::fiber SchedulerImpl::FiberMain(FiberContext* fc, boost::context::fiber&& caller) {
  AfterSwitch(std::move(caller), fc);
  fc->started = true;
  RunBody(fc);
  return Finish(fc);
}

void SchedulerImpl::RunBody(FiberContext* fc) {
  try {
    fc->fn();
  } catch (const boost::context::detail::forced_unwind&) {
    // The scheduler is destroying this fiber: let Boost finish unwinding it.
#if defined(__SANITIZE_ADDRESS__)
    // Complete the destroyer's switch into this stack and announce the
    // final switch back (DestroyFiber finishes it).
    __sanitizer_finish_switch_fiber(fc->asan_fake_stack, nullptr, nullptr);
    __sanitizer_start_switch_fiber(nullptr, dispatcher_.stack_lo, dispatcher_.stack_size);
#endif
    throw;
  } catch (const Cancelled& e) {
    // Cancellation asked for this end; a Cancelled nobody asked for is a bug.
    if (fc->cancelled) {
      spdlog::debug("fiber '{}' ended by its cancellation: {}", fc->name, e.what());
    } else {
      spdlog::error("fiber '{}' ended by an exception: {}", fc->name, e.what());
    }
  } catch (const std::exception& e) {
    spdlog::error("fiber '{}' ended by an exception: {}", fc->name, e.what());
  } catch (...) {
    spdlog::error("fiber '{}' ended by an exception of unknown type", fc->name);
  }
  fc->fn = nullptr;  // run the captures' destructors while still a fiber
}

boost::context::fiber SchedulerImpl::Finish(FiberContext* fc) {
  fc->state = FiberContext::State::kDone;
  fc->joiners.notify_all();
  UnlinkAll(fc);
  alive_.store(alive_.load(std::memory_order_relaxed) - 1, std::memory_order_relaxed);
  FiberContext* next = NextToRun();
  running_ = next;
  prev_ = fc;
  next->state = FiberContext::State::kRunning;
  MarkSwitch(next);
  Release(fc);
#if defined(__SANITIZE_ADDRESS__)
  __sanitizer_start_switch_fiber(nullptr, next->stack_lo, next->stack_size);
#endif
  // Boost frees this fiber's stack (back to the pool) after the switch.
  // Under TSan the resumed side announces the switch (AfterSwitch).
  return std::move(next->cont);
}

void SchedulerImpl::OnIoReady(void* self, FiberContext* fc, unsigned ready) {
  fc->io_ready = ready;
  static_cast<SchedulerImpl*>(self)->Wake(fc, WaitStatus::kOk);
}

void SchedulerImpl::PollOnce(bool may_block) {
  if (may_block && offloads_in_flight_ > 0) SpinForRemote();
  if (remote_pending_.load(std::memory_order_acquire)) may_block = false;
  timespec ts{0, 0};
  const timespec* timeout = &ts;
  if (may_block) {
    if (!timers_.Empty()) {
      ts = ToTimespec(timers_.Nearest() - Clock::now());
    } else {
      timeout = nullptr;
      if (alive_.load(std::memory_order_relaxed) > 0 && reactor_.waiters() == 0 &&
          offloads_in_flight_ == 0 && !deadlock_logged_ &&
          !stop_requested_.load(std::memory_order_relaxed)) {
        deadlock_logged_ = true;
        spdlog::warn(
            "scheduler idle with '{}' fibers parked and no timer, fd or offload to wake them "
            "(a deadlock unless stop() comes from another thread)",
            alive_.load(std::memory_order_relaxed));
      }
    }
  }
  // With fibers ready, skip the syscall unless something may be pending.
  const bool need_poll = may_block || reactor_.waiters() > 0 ||
                         remote_pending_.load(std::memory_order_acquire);
  if (need_poll) reactor_.Poll(timeout, &SchedulerImpl::OnIoReady, this);
  if (remote_pending_.load(std::memory_order_acquire)) DrainRemote();
  if (!timers_.Empty()) {
    const Clock::time_point now = Clock::now();
    while (FiberContext* fc = timers_.PopExpired(now)) Wake(fc, WaitStatus::kTimeout);
  }
}

void SchedulerImpl::SpinForRemote() noexcept {
  // An offload usually completes within microseconds: poll for it briefly
  // before paying for an eventfd wake-up out of epoll_wait.
  const Clock::time_point until = Clock::now() + std::chrono::microseconds(20);
  while (!remote_pending_.load(std::memory_order_acquire) && Clock::now() < until) {
    CpuRelax();
  }
}

void SchedulerImpl::DrainRemote() {
  remote_pending_.store(false, std::memory_order_relaxed);
  {
    std::lock_guard<std::mutex> lock(remote_mutex_);
    remote_batch_.swap(remote_);
  }
  for (FiberContext* fc : remote_batch_) {
    --offloads_in_flight_;
    Wake(fc, WaitStatus::kOk);
  }
  remote_batch_.clear();
}

void SchedulerImpl::PostRemote(FiberContext* fc) {
  bool first;
  {
    std::lock_guard<std::mutex> lock(remote_mutex_);
    remote_.push_back(fc);
    first = remote_.size() == 1;
  }
  remote_pending_.store(true, std::memory_order_release);
  if (first) reactor_.Notify();
}

void SchedulerImpl::Offload(void (*run)(void*) noexcept, void* arg) {
  if (!offload_pool_) {
    offload_pool_ = std::make_unique<OffloadPool>(options_.offload_threads);
  }
  FiberContext* self = running_;
  ++offloads_in_flight_;
  offload_pool_->Submit(OffloadPool::Job{run, arg, self, this});
  // Not cancellable: the job may reference this fiber's stack.
  Park(Deadline::never(), false);
}

void SchedulerImpl::Stop() noexcept {
  stop_requested_.store(true, std::memory_order_relaxed);
  reactor_.Notify();
}

void SchedulerImpl::Run(std::function<void()> main_fn) {
  if (tls_current_ != nullptr) throw std::logic_error("spindle: Scheduler::run() nested on a thread");
  InstallOverflowReport();  // a fiber overflowing its stack is named
  tls_current_ = this;
  eh_globals_ = ExceptionState::ThreadGlobals();
  in_run_ = true;
#if defined(__SANITIZE_THREAD__)
  dispatcher_.tsan_fiber = tsan::Current();
#endif
  stop_requested_.store(false, std::memory_order_relaxed);
  deadlock_logged_ = false;
  try {
    Release(Spawn(std::move(main_fn), "main"));
  } catch (...) {
    tls_current_ = nullptr;
    in_run_ = false;
    throw;
  }
  watch_current_.store(&dispatcher_, std::memory_order_relaxed);
  for (;;) {
    ready_streak_ = 0;
    if (run_head_ == nullptr && (alive_.load(std::memory_order_relaxed) == 0 ||
                                 stop_requested_.load(std::memory_order_relaxed))) {
      break;
    }
    PollOnce(run_head_ == nullptr);
    if (run_head_ != nullptr) SwitchTo(PopReady());
  }
  watch_current_.store(nullptr, std::memory_order_relaxed);
  in_run_ = false;
  tls_current_ = nullptr;
}

void SchedulerImpl::DestroyFiber(FiberContext* fc) {
  if (fc->wait_node) {
    if (fc->wait_node->list) fc->wait_node->list->Unlink(fc->wait_node);
    fc->wait_node = nullptr;
  }
  timers_.Cancel(fc);
  reactor_.RemoveWaiter(fc);
  fc->unwinding = true;
  fc->cancelled = true;
  fc->state = FiberContext::State::kRunning;
  running_ = fc;
  prev_ = &dispatcher_;
#if defined(__SANITIZE_ADDRESS__)
  // A started fiber completes these annotations in RunBody; one that never
  // ran only executes Boost's entry stub, which ASan need not know about.
  const bool annotate = fc->started;
  if (annotate) {
    __sanitizer_start_switch_fiber(&dispatcher_.asan_fake_stack, fc->stack_lo, fc->stack_size);
  }
#endif
#if defined(__SANITIZE_THREAD__)
  // The unwinding and Boost's exit code run on the fiber's context.
  void* destroyer = tsan::Current();
  tsan::SwitchTo(fc->tsan_fiber);
#endif
  // The unwinding leaves the fiber's catch blocks: on its exception state.
  __cxxabiv1::__cxa_eh_globals* eh = ExceptionState::ThreadGlobals();
  ExceptionState destroyer_eh;
  destroyer_eh.SaveFrom(eh);
  fc->eh.RestoreTo(eh);
  {
    // Resumes the fiber with forced_unwind (RAII runs), then frees its stack.
    boost::context::fiber doomed = std::move(fc->cont);
  }
  destroyer_eh.RestoreTo(eh);
#if defined(__SANITIZE_THREAD__)
  tsan::SwitchTo(destroyer);
  tsan::Destroy(fc->tsan_fiber);
  fc->tsan_fiber = nullptr;
#endif
#if defined(__SANITIZE_ADDRESS__)
  if (annotate) __sanitizer_finish_switch_fiber(dispatcher_.asan_fake_stack, nullptr, nullptr);
#endif
  running_ = &dispatcher_;
  fc->state = FiberContext::State::kDone;
  fc->joiners.notify_all();
  UnlinkAll(fc);
  alive_.store(alive_.load(std::memory_order_relaxed) - 1, std::memory_order_relaxed);
  run_head_ = run_tail_ = nullptr;
  Release(fc);
}

size_t SchedulerImpl::offload_queue_depth() const noexcept {
  return offload_pool_ ? offload_pool_->queued() : 0;
}

}  // namespace spindle::engine
