// WaitList: the one wait mechanism under every engine primitive (Mutex,
// ConditionVariable, Event, AutoResetEvent, WaitGroup, Channel, join), and
// public so that libraries on the engine (the Redis client, apps) build their
// own primitives the same way. A FIFO of parked fibers; a waker says why each
// one woke (event, deadline, cancellation).
//
// Fiber contract: a WaitList belongs to one scheduler; wait_until() may
// suspend and must run in a fiber (std::logic_error otherwise); notify_*()
// never suspend and may run in any fiber of that scheduler. There is no
// lost-wakeup window: fibers of one scheduler never run in parallel, so
// "check state, then wait_until()" is atomic as long as nothing suspends in
// between. A fiber woken by notify_* reports kOk even if it is cancelled or
// its deadline passes before it runs (the first waker wins).
#pragma once

#include <cstddef>

#include <spindle/deadline.hpp>

namespace spindle {

namespace engine {
class FiberContext;
class SchedulerImpl;
struct WaitNode;
}  // namespace engine

class WaitList {
 public:
  WaitList() = default;
  WaitList(const WaitList&) = delete;
  WaitList& operator=(const WaitList&) = delete;
  ~WaitList();  // wakes any (misused) remaining waiters with kCancelled

  // May suspend. Parks the running fiber until notify_*, the deadline, or (if
  // cancellable) cancellation. A fiber already cancelled returns kCancelled
  // at once; a deadline already passed returns kTimeout at once.
  [[nodiscard]] WaitStatus wait_until(Deadline deadline, bool cancellable = true);
  [[nodiscard]] WaitStatus wait_for(Clock::duration d, bool cancellable = true) {
    return wait_until(Deadline::after(d), cancellable);
  }

  // Wakes the longest-waiting fiber with kOk; false if none was waiting.
  bool notify_one() noexcept;
  // Wakes every waiting fiber with kOk; returns how many.
  size_t notify_all() noexcept;
  bool empty() const noexcept { return head_ == nullptr; }

 private:
  friend class engine::SchedulerImpl;  // unlinks a waiter woken by its deadline or a cancel
  void Append(engine::WaitNode* node) noexcept;
  void Unlink(engine::WaitNode* node) noexcept;
  engine::WaitNode* PopFront() noexcept;
  engine::WaitNode* head_ = nullptr;
  engine::WaitNode* tail_ = nullptr;
};

}  // namespace spindle
