// Mutex, ConditionVariable, Event, AutoResetEvent and WaitGroup: see
// <spindle/sync.hpp>.
// Scheduler thread only; all waits go through WaitList.
#include <spindle/sync.hpp>

#include <stdexcept>

namespace spindle {

void Mutex::lock() {
  if (!locked_) {
    locked_ = true;
    return;
  }
  // kOk means unlock() handed the mutex to us. (Anything else only happens
  // to a fiber being unwound by ~Scheduler.)
  (void)waiters_.wait_until(Deadline::never(), /*cancellable=*/false);
}

bool Mutex::try_lock() noexcept {
  if (locked_) return false;
  locked_ = true;
  return true;
}

WaitStatus Mutex::lock_until(Deadline deadline) {
  if (!locked_) {
    locked_ = true;
    return WaitStatus::kOk;
  }
  return waiters_.wait_until(deadline);
}

void Mutex::unlock() noexcept {
  // Direct hand-off: the woken waiter owns the mutex, locked_ stays true.
  if (!waiters_.notify_one()) locked_ = false;
}

void ConditionVariable::wait(std::unique_lock<Mutex>& lock) {
  (void)wait_until(lock, Deadline::never());
}

WaitStatus ConditionVariable::wait_until(std::unique_lock<Mutex>& lock, Deadline deadline) {
  if (!lock.owns_lock()) throw std::logic_error("spindle: ConditionVariable wait without the lock");
  // No suspension between unlock and Wait, so no notify can be missed.
  lock.unlock();
  WaitStatus st;
  try {
    st = waiters_.wait_until(deadline);
  } catch (...) {
    lock.lock();
    throw;
  }
  lock.lock();
  return st;
}

void Event::set() noexcept {
  set_ = true;
  waiters_.notify_all();
}

WaitStatus Event::wait_until(Deadline deadline) {
  if (set_) return WaitStatus::kOk;
  // Woken by set(): kOk even if reset() ran before this fiber did.
  return waiters_.wait_until(deadline);
}

void AutoResetEvent::set() noexcept {
  set_ = true;
  waiter_.notify_one();
}

WaitStatus AutoResetEvent::wait_until(Deadline deadline) {
  if (!waiter_.empty()) throw std::logic_error("spindle: AutoResetEvent has one waiter at a time");
  if (!set_) {
    const WaitStatus st = waiter_.wait_until(deadline);
    // A set() that raced a timeout or cancel still counts for this wait.
    if (st != WaitStatus::kOk && !set_) return st;
  }
  set_ = false;
  return WaitStatus::kOk;
}

void WaitGroup::done() {
  if (count_ == 0) throw std::logic_error("spindle: WaitGroup::done() without add()");
  if (--count_ == 0) waiters_.notify_all();
}

WaitStatus WaitGroup::wait_until(Deadline deadline) {
  while (count_ != 0) {
    const WaitStatus st = waiters_.wait_until(deadline);
    if (st != WaitStatus::kOk) return count_ == 0 ? WaitStatus::kOk : st;
  }
  return WaitStatus::kOk;
}

}  // namespace spindle
