// Fiber-aware synchronisation: Mutex, ConditionVariable, Event,
// AutoResetEvent, WaitGroup. All park on WaitList (<spindle/wait_list.hpp>).
//
// Fiber contract: an object belongs to one scheduler (its fibers never run in
// parallel, so these are not thread-safe and need no atomics). Calls marked
// "may suspend" must run in a fiber. Every blocking call has an `_until
// (Deadline)` form (the `_for` form forwards to it) that ends early with
// kCancelled when the fiber is cancelled; the plain forms document their own
// cancellation behaviour. The names are the same everywhere (Channel and
// Fiber::join too): `x()` waits without a deadline, `x_until(Deadline)`,
// `x_for(duration)`.
#pragma once

#include <cstddef>
#include <mutex>

#include <spindle/deadline.hpp>
#include <spindle/wait_list.hpp>

namespace spindle {

// Non-recursive, FIFO, with direct hand-off: unlock() passes ownership to the
// longest waiter, so a stream of lockers cannot starve one.
class Mutex {
 public:
  Mutex() = default;
  Mutex(const Mutex&) = delete;
  Mutex& operator=(const Mutex&) = delete;

  // May suspend. Not interrupted by cancellation (RAII lock guards stay
  // sound); use lock_until for a cancellable lock.
  void lock();
  bool try_lock() noexcept;
  // May suspend. kOk (locked), kTimeout, or kCancelled (not locked).
  [[nodiscard]] WaitStatus lock_until(Deadline deadline);
  [[nodiscard]] WaitStatus lock_for(Clock::duration d) { return lock_until(Deadline::after(d)); }
  // Never suspends; wakes the next waiter (who then owns the mutex).
  void unlock() noexcept;

 private:
  bool locked_ = false;
  WaitList waiters_;
};

class ConditionVariable {
 public:
  ConditionVariable() = default;
  ConditionVariable(const ConditionVariable&) = delete;
  ConditionVariable& operator=(const ConditionVariable&) = delete;

  // May suspend. Unlocks, waits for a notify, relocks. Returns early (like a
  // spurious wakeup) when the fiber is cancelled; check is_cancelled() or
  // use a predicate overload.
  void wait(std::unique_lock<Mutex>& lock);
  // May suspend. kOk (notified), kTimeout or kCancelled; the lock is held
  // again on return in every case.
  WaitStatus wait_until(std::unique_lock<Mutex>& lock, Deadline deadline);
  WaitStatus wait_for(std::unique_lock<Mutex>& lock, Clock::duration d) {
    return wait_until(lock, Deadline::after(d));
  }

  // May suspend. kOk once pred() holds; otherwise kTimeout/kCancelled (pred()
  // is false then).
  template <class Pred>
  WaitStatus wait_until(std::unique_lock<Mutex>& lock, Deadline deadline, Pred pred) {
    while (!pred()) {
      const WaitStatus st = wait_until(lock, deadline);
      if (st != WaitStatus::kOk) return pred() ? WaitStatus::kOk : st;
    }
    return WaitStatus::kOk;
  }
  template <class Pred>
  WaitStatus wait_for(std::unique_lock<Mutex>& lock, Clock::duration d, Pred pred) {
    return wait_until(lock, Deadline::after(d), std::move(pred));
  }
  // May suspend. kOk once pred() holds, kCancelled if the fiber is cancelled.
  template <class Pred>
  WaitStatus wait(std::unique_lock<Mutex>& lock, Pred pred) {
    return wait_until(lock, Deadline::never(), std::move(pred));
  }

  void notify_one() noexcept { waiters_.notify_one(); }
  void notify_all() noexcept { waiters_.notify_all(); }

 private:
  WaitList waiters_;
};

// A manual-reset event: set() wakes every waiter and stays set until reset().
class Event {
 public:
  Event() = default;
  Event(const Event&) = delete;
  Event& operator=(const Event&) = delete;

  void set() noexcept;
  void reset() noexcept { set_ = false; }
  bool is_set() const noexcept { return set_; }
  // May suspend. kOk once set (immediately if already set), kTimeout, or
  // kCancelled.
  WaitStatus wait() { return wait_until(Deadline::never()); }
  WaitStatus wait_until(Deadline deadline);
  WaitStatus wait_for(Clock::duration d) { return wait_until(Deadline::after(d)); }

 private:
  bool set_ = false;
  WaitList waiters_;
};

// An auto-reset event for one consumer: set() wakes the fiber waiting on it,
// or, if none waits, is remembered until the next wait, which then returns at
// once. Each wait that returns kOk consumes the set (several set() calls
// before a wait count as one). What a "something changed, look again" loop
// needs (a writer fiber waiting for work, a reader waiting for room) without
// the race of Event::reset() followed by wait().
class AutoResetEvent {
 public:
  AutoResetEvent() = default;
  AutoResetEvent(const AutoResetEvent&) = delete;
  AutoResetEvent& operator=(const AutoResetEvent&) = delete;

  // Never suspends.
  void set() noexcept;
  bool is_set() const noexcept { return set_; }
  // May suspend. kOk (and the set is consumed), kTimeout or kCancelled.
  // One fiber waits at a time (a second waiter is a std::logic_error).
  WaitStatus wait() { return wait_until(Deadline::never()); }
  WaitStatus wait_until(Deadline deadline);
  WaitStatus wait_for(Clock::duration d) { return wait_until(Deadline::after(d)); }

 private:
  bool set_ = false;
  WaitList waiter_;
};

// Counts outstanding work; wait() returns when the count is back to zero.
class WaitGroup {
 public:
  WaitGroup() = default;
  WaitGroup(const WaitGroup&) = delete;
  WaitGroup& operator=(const WaitGroup&) = delete;

  void add(size_t n = 1) noexcept { count_ += n; }
  // Never suspends. Calling done() more often than add() is a bug
  // (std::logic_error).
  void done();
  size_t count() const noexcept { return count_; }
  // May suspend. kOk once the count is zero, kTimeout, or kCancelled.
  WaitStatus wait() { return wait_until(Deadline::never()); }
  WaitStatus wait_until(Deadline deadline);
  WaitStatus wait_for(Clock::duration d) { return wait_until(Deadline::after(d)); }

 private:
  size_t count_ = 0;
  WaitList waiters_;
};

}  // namespace spindle
