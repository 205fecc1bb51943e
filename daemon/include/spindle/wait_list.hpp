// WaitList: the one wait mechanism under every engine primitive (Mutex,
// ConditionVariable, Event, WaitGroup, Channel, join). A FIFO of parked
// fibers; a waker says why each one woke (event, deadline, cancellation).
//
// Fiber contract: a WaitList belongs to one scheduler; Wait() may suspend and
// must run in a fiber (std::logic_error otherwise); Notify*() never suspend
// and may run in any fiber of that scheduler. There is no lost-wakeup window:
// fibers of one scheduler never run in parallel, so "check state, then Wait()"
// is atomic as long as nothing suspends in between. A fiber woken by Notify*
// reports kOk even if it is cancelled or its deadline passes before it runs
// (the first waker wins).
#pragma once

#include <cstddef>

#include <spindle/deadline.hpp>

namespace spindle::impl {

class FiberContext;
class WaitList;

// Lives on the waiting fiber's stack for the duration of one Wait().
struct WaitNode {
  WaitNode* prev = nullptr;
  WaitNode* next = nullptr;
  WaitList* list = nullptr;
  FiberContext* fiber = nullptr;
};

class WaitList {
 public:
  WaitList() = default;
  WaitList(const WaitList&) = delete;
  WaitList& operator=(const WaitList&) = delete;
  ~WaitList();  // wakes any (misused) remaining waiters with kCancelled

  // Parks the running fiber until Notify*, the deadline, or (if cancellable)
  // cancellation. A fiber already cancelled returns kCancelled at once; a
  // deadline already passed returns kTimeout at once.
  WaitStatus Wait(Deadline deadline, bool cancellable = true);

  // Wakes the longest-waiting fiber with kOk; false if none was waiting.
  bool NotifyOne() noexcept;
  // Wakes every waiting fiber with kOk; returns how many.
  size_t NotifyAll() noexcept;
  bool Empty() const noexcept { return head_ == nullptr; }

  // Scheduler internals: link/unlink a node (unlink is idempotent).
  void Append(WaitNode* node) noexcept;
  void Unlink(WaitNode* node) noexcept;

 private:
  WaitNode* PopFront() noexcept;
  WaitNode* head_ = nullptr;
  WaitNode* tail_ = nullptr;
};

}  // namespace spindle::impl
