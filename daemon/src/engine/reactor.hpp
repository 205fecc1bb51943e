// Reactor: the scheduler's epoll instance. Tracks, per fd, which fiber waits
// for readability and which for writability, registers interest lazily
// (level-triggered, kept while fibers keep waiting, dropped after a run of
// events that found no waiter), reports EPOLLERR/EPOLLHUP as readable+writable, and owns
// the eventfd that other threads write to wake the scheduler. It only wakes
// fibers; no app code runs here.
//
// Thread contract: scheduler thread only, except Notify(), which any thread
// may call.
#pragma once

#include <sys/epoll.h>
#include <time.h>

#include <cstdint>
#include <vector>

#include "engine/fiber_context.hpp"

namespace spindle::engine {

class Reactor {
 public:
  Reactor();
  ~Reactor();
  Reactor(const Reactor&) = delete;
  Reactor& operator=(const Reactor&) = delete;

  // Makes fc the waiter for `interest` on fd. Returns 0 or an errno value
  // (EBUSY: another fiber already waits in that direction).
  int AddWaiter(int fd, unsigned interest, FiberContext* fc) noexcept;
  // Clears fc's slots (its wait ended for another reason).
  void RemoveWaiter(FiberContext* fc) noexcept;
  // Drops fd's registration; appends fibers that were waiting on it.
  void Forget(int fd, std::vector<FiberContext*>& waiters) noexcept;

  // Waits for events (timeout nullptr = forever) and calls
  // on_ready(ctx, fiber, ready_bits) for each woken waiter. Returns true if
  // Notify() was called since the last poll.
  bool Poll(const timespec* timeout, void (*on_ready)(void*, FiberContext*, unsigned),
            void* ctx) noexcept;

  // Thread-safe: makes the next (or current) Poll return.
  void Notify() noexcept;

  size_t waiters() const noexcept { return waiters_; }

 private:
  // Events in a row that found no waiter for a registered direction before
  // that interest is dropped (see HandleEvent).
  static constexpr uint32_t kIdleEventsKept = 16;
  struct FdState {
    FiberContext* reader = nullptr;
    FiberContext* writer = nullptr;
    uint32_t registered = 0;   // epoll events currently registered
    uint32_t idle_events = 0;  // events in a row that found no waiter
  };
  FdState* Slot(int fd) noexcept;
  void Update(int fd, FdState& st, uint32_t want) noexcept;
  void HandleEvent(int fd, uint32_t events, void (*on_ready)(void*, FiberContext*, unsigned),
                   void* ctx) noexcept;

  int epfd_ = -1;
  int eventfd_ = -1;
  bool have_pwait2_ = true;
  size_t waiters_ = 0;
  std::vector<FdState> fds_;
  epoll_event events_[256];
};

}  // namespace spindle::engine
