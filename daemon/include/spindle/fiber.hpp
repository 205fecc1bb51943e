// Fibers: spawn, the joinable Fiber handle, and calls about the running fiber
// (namespace this_fiber).
//
// Thread/fiber contract: a Fiber handle belongs to the scheduler thread that
// spawned it; use it (join, cancel, detach, destroy) only on that thread, and
// do not let it outlive its Scheduler. Share a handle between fibers only by
// moving it: a second joiner would find it consumed.
// Calls marked "may suspend" switch to other fibers of the same scheduler;
// called outside any fiber they block the thread instead (sleep) or are no-ops
// (yield).
#pragma once

#include <cstddef>
#include <exception>
#include <functional>
#include <string>
#include <string_view>

#include <spindle/deadline.hpp>

namespace spindle {

namespace engine {
class FiberContext;
}

// Thrown by calls documented to throw on cancellation (the Redis client, for
// example); spindle::ClientGone (errors.hpp) is one too. Engine waits report
// cancellation as a status instead. A Cancelled that ends a cancelled fiber
// is a normal end: spawn's fibers and request handlers log nothing for it.
class Cancelled : public std::exception {
 public:
  const char* what() const noexcept override { return "fiber cancelled"; }
};

// A joinable handle to a fiber. Move-only. Destroying a joinable handle
// detaches the fiber (it keeps running).
class Fiber {
 public:
  Fiber() noexcept = default;
  Fiber(Fiber&& other) noexcept : ctx_(other.ctx_) { other.ctx_ = nullptr; }
  Fiber& operator=(Fiber&& other) noexcept;
  Fiber(const Fiber&) = delete;
  Fiber& operator=(const Fiber&) = delete;
  ~Fiber() { detach(); }

  // May suspend. Returns when the fiber has ended. Not interrupted by
  // cancellation of the caller (so a joined fiber never outlives data the
  // caller owns); use join_until for a cancellable, bounded join. Afterwards
  // the handle is no longer joinable. A fiber must not join itself.
  void join();

  // May suspend. kOk (the fiber ended; the handle is no longer joinable),
  // kTimeout, or kCancelled (the caller was cancelled); on the latter two the
  // handle stays joinable.
  WaitStatus join_until(Deadline deadline);
  WaitStatus join_for(Clock::duration d) { return join_until(Deadline::after(d)); }

  // Lets the fiber run on without a handle. No-op if not joinable.
  void detach() noexcept;

  // Cancels the fiber: its current wait (if cancellable) and all future
  // cancellable waits end with WaitStatus::kCancelled. It is a request; the
  // fiber ends when its code returns. Never suspends. Idempotent.
  void cancel() noexcept;

  bool joinable() const noexcept { return ctx_ != nullptr; }
  // True once the fiber's function has returned (or thrown). False for a
  // non-joinable handle.
  bool done() const noexcept;

 private:
  friend Fiber spawn(std::function<void()> fn, std::string name);
  explicit Fiber(engine::FiberContext* ctx) noexcept : ctx_(ctx) {}
  engine::FiberContext* ctx_ = nullptr;
};

// Schedules a new fiber on the current thread's scheduler (it runs after the
// caller next suspends; spawn itself never suspends). The name appears in
// logs (an escaping exception, the watchdog). Throws std::logic_error outside
// a scheduler thread, std::bad_alloc (with a logged hint about
// vm.max_map_count) when no stack can be mapped.
//
// An exception escaping fn is logged with the fiber's name (a Cancelled
// escaping a cancelled fiber only at debug level); only that fiber ends, the
// process continues.
//
// A fiber may suspend anywhere, also inside a catch block or in a destructor
// that runs while an exception unwinds: `throw;`, std::current_exception()
// and std::uncaught_exceptions() are per fiber.
Fiber spawn(std::function<void()> fn, std::string name = {});

namespace this_fiber {

// May suspend: lets every other ready fiber run once, then continues. Not a
// wait: cancellation does not affect it. Outside a fiber: no-op.
void yield();

// May suspend. kOk when the time has come, kCancelled if the fiber is (or
// becomes) cancelled. Outside a fiber: blocks the thread, returns kOk.
WaitStatus sleep_until(Clock::time_point tp);
inline WaitStatus sleep_until(Deadline deadline) { return sleep_until(deadline.time_point()); }
WaitStatus sleep_for(Clock::duration d);

// True once the running fiber was cancelled. Never suspends.
bool is_cancelled() noexcept;

// The running fiber's name ("" if none, or outside a fiber).
std::string_view name() noexcept;
void set_name(std::string name);

// Bytes of stack left below the caller's frame: on a fiber, down to the low
// end of its stack (the guard page); on a scheduler's own loop and on
// threads without a scheduler, down to the thread stack's low end as
// pthread_getattr_np reports it (looked up once per thread). SIZE_MAX when
// the bounds are unknown (a signal handler's alternate stack, say). Code
// that recurses on data it does not control (the Mustache renderer) checks
// this before each level and fails cleanly instead of running off the stack.
// Never suspends; no syscall except a thread's first call.
size_t stack_remaining() noexcept;

}  // namespace this_fiber

}  // namespace spindle
