// spawn, the Fiber handle and this_fiber: see <spindle/fiber.hpp>.
// Scheduler thread only.
#include <spindle/fiber.hpp>

#include <stdexcept>
#include <thread>

#include "engine/fiber_deadline.hpp"
#include "engine/scheduler_impl.hpp"

namespace spindle {

using engine::FiberContext;
using engine::SchedulerImpl;

Fiber spawn(std::function<void()> fn, std::string name) {
  SchedulerImpl* sched = SchedulerImpl::Current();
  if (sched == nullptr) throw std::logic_error("spindle: spawn() outside a scheduler thread");
  return Fiber(sched->Spawn(std::move(fn), std::move(name)));
}

Fiber& Fiber::operator=(Fiber&& other) noexcept {
  if (this != &other) {
    detach();
    ctx_ = other.ctx_;
    other.ctx_ = nullptr;
  }
  return *this;
}

void Fiber::join() {
  if (ctx_ == nullptr) throw std::logic_error("spindle: join() on a non-joinable Fiber");
  if (ctx_->state != FiberContext::State::kDone) {
    SchedulerImpl* sched = SchedulerImpl::Current();
    if (sched != nullptr && sched->Running() == ctx_) {
      throw std::logic_error("spindle: a fiber cannot join itself");
    }
    // Not cancellable; loops only for a fiber being unwound by ~Scheduler.
    while (ctx_->state != FiberContext::State::kDone) {
      if (ctx_->joiners.wait_until(Deadline::never(), false) != WaitStatus::kOk) break;
    }
  }
  detach();
}

WaitStatus Fiber::join_until(Deadline deadline) {
  if (ctx_ == nullptr) throw std::logic_error("spindle: join_until() on a non-joinable Fiber");
  while (ctx_->state != FiberContext::State::kDone) {
    const WaitStatus st = ctx_->joiners.wait_until(deadline);
    if (st != WaitStatus::kOk) return st;
  }
  detach();
  return WaitStatus::kOk;
}

void Fiber::detach() noexcept {
  if (ctx_ == nullptr) return;
  ctx_->sched->Release(ctx_);
  ctx_ = nullptr;
}

void Fiber::cancel() noexcept {
  if (ctx_ != nullptr) ctx_->sched->Cancel(ctx_);
}

bool Fiber::done() const noexcept {
  return ctx_ != nullptr && ctx_->state == FiberContext::State::kDone;
}

namespace engine {

Deadline InheritedDeadline() noexcept {
  SchedulerImpl* sched = SchedulerImpl::Current();
  if (sched == nullptr || !sched->InFiber()) return Deadline::never();
  return Deadline::at(sched->Running()->inherited_deadline);
}

void SetInheritedDeadline(Deadline deadline) noexcept {
  SchedulerImpl* sched = SchedulerImpl::Current();
  if (sched == nullptr || !sched->InFiber()) return;
  sched->Running()->inherited_deadline = deadline.time_point();
}

FiberContext* CurrentFiber() noexcept {
  SchedulerImpl* sched = SchedulerImpl::Current();
  if (sched == nullptr || !sched->InFiber()) return nullptr;
  return sched->Running();
}

void SetInterruptible(FiberContext* fc, bool on) noexcept {
  if (fc == nullptr) return;
  if (on) {
    ++fc->interruptible;
  } else if (fc->interruptible > 0 && --fc->interruptible == 0) {
    fc->wake_early = false;
  }
}

void InterruptFiber(FiberContext* fc) noexcept {
  if (fc != nullptr) fc->sched->Interrupt(fc);
}

}  // namespace engine

namespace this_fiber {

void yield() {
  if (SchedulerImpl* sched = SchedulerImpl::Current()) sched->Yield();
}

WaitStatus sleep_until(Clock::time_point tp) {
  SchedulerImpl* sched = SchedulerImpl::Current();
  if (sched == nullptr || !sched->InFiber()) {
    std::this_thread::sleep_until(tp);
    return WaitStatus::kOk;
  }
  FiberContext* self = sched->Running();
  if (self->cancelled) return WaitStatus::kCancelled;
  if (Clock::now() >= tp) return WaitStatus::kOk;
  const WaitStatus st = sched->Park(Deadline::at(tp), true);
  return st == WaitStatus::kTimeout ? WaitStatus::kOk : st;
}

WaitStatus sleep_for(Clock::duration d) { return sleep_until(Deadline::after(d)); }

bool is_cancelled() noexcept {
  SchedulerImpl* sched = SchedulerImpl::Current();
  return sched != nullptr && sched->Running()->cancelled;
}

std::string_view name() noexcept {
  SchedulerImpl* sched = SchedulerImpl::Current();
  if (sched == nullptr || !sched->InFiber()) return {};
  return sched->Running()->name;
}

void set_name(std::string name) {
  SchedulerImpl* sched = SchedulerImpl::Current();
  if (sched == nullptr || !sched->InFiber()) return;
  sched->SetName(sched->Running(), std::move(name));
}

}  // namespace this_fiber

}  // namespace spindle
