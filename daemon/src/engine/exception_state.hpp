// ExceptionState: the C++ runtime's per-thread exception bookkeeping, saved
// and restored per fiber so that a fiber may suspend inside a `catch` block
// (or in a destructor running during unwinding) while other fibers throw
// and catch.
//
// The Itanium C++ ABI keeps, per thread, the stack of exceptions currently
// caught (what `throw;` and std::current_exception() read, and what leaving
// a handler pops) and the count of exceptions thrown but not yet caught
// (std::uncaught_exceptions()). Fibers share their thread's copy: without
// this, fiber A suspended in `catch (E1&)` resumes after fiber B caught E2
// and `throw;` rethrows E2, or leaving A's handler pops B's exception. So
// every switch stores the outgoing fiber's two fields and installs the
// incoming fiber's (folly's fibers do the same around __cxa_get_globals).
//
// Thread contract: the scheduler thread only; a value belongs to one fiber.
#pragma once

#include <cxxabi.h>

namespace __cxxabiv1 {
// Completes <cxxabi.h>'s forward declaration with the layout both libstdc++
// (libsupc++/unwind-cxx.h) and libc++abi (cxa_exception.h) use; only these
// two leading fields are read or written.
struct __cxa_eh_globals {
  void* caughtExceptions;
  unsigned int uncaughtExceptions;
};
}  // namespace __cxxabiv1

namespace spindle::engine {

class ExceptionState {
 public:
  // The running thread's record (one TLS lookup; stable for the thread).
  static __cxxabiv1::__cxa_eh_globals* ThreadGlobals() noexcept {
    return __cxxabiv1::__cxa_get_globals();
  }

  // Moves the thread's state into this fiber's record (the fiber leaves).
  void SaveFrom(__cxxabiv1::__cxa_eh_globals* g) noexcept {
    caught_ = g->caughtExceptions;
    uncaught_ = g->uncaughtExceptions;
  }
  // Installs this fiber's state on the thread (the fiber resumes).
  void RestoreTo(__cxxabiv1::__cxa_eh_globals* g) const noexcept {
    g->caughtExceptions = caught_;
    g->uncaughtExceptions = uncaught_;
  }
  // A fresh fiber: nothing caught, nothing in flight.
  void Clear() noexcept {
    caught_ = nullptr;
    uncaught_ = 0;
  }

 private:
  void* caught_ = nullptr;
  unsigned int uncaught_ = 0;
};

}  // namespace spindle::engine
