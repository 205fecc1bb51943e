// Mutex, ConditionVariable, Event and WaitGroup: see <spindle/sync.hpp>.
// Scheduler thread only; all waits go through impl::WaitList.
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
  (void)waiters_.Wait(Deadline::never(), /*cancellable=*/false);
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
  return waiters_.Wait(deadline);
}

void Mutex::unlock() noexcept {
  // Direct hand-off: the woken waiter owns the mutex, locked_ stays true.
  if (!waiters_.NotifyOne()) locked_ = false;
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
    st = waiters_.Wait(deadline);
  } catch (...) {
    lock.lock();
    throw;
  }
  lock.lock();
  return st;
}

void Event::set() noexcept {
  set_ = true;
  waiters_.NotifyAll();
}

WaitStatus Event::wait(Deadline deadline) {
  if (set_) return WaitStatus::kOk;
  // Woken by set(): kOk even if reset() ran before this fiber did.
  return waiters_.Wait(deadline);
}

void WaitGroup::done() {
  if (count_ == 0) throw std::logic_error("spindle: WaitGroup::done() without add()");
  if (--count_ == 0) waiters_.NotifyAll();
}

WaitStatus WaitGroup::wait(Deadline deadline) {
  while (count_ != 0) {
    const WaitStatus st = waiters_.Wait(deadline);
    if (st != WaitStatus::kOk) return count_ == 0 ? WaitStatus::kOk : st;
  }
  return WaitStatus::kOk;
}

}  // namespace spindle
