// The C++ runtime's per-thread exception state is per fiber: a fiber may
// suspend inside a catch block, or in a destructor run by unwinding, while
// other fibers throw and catch, and `throw;`, std::current_exception() and
// std::uncaught_exceptions() still see that fiber's own exceptions. Each
// test narrates the interleaving that corrupts the shared state without the
// engine's save/restore at every switch (engine/exception_state.hpp).
#include <exception>
#include <stdexcept>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include <spindle/fiber.hpp>
#include <spindle/scheduler.hpp>
#include <spindle/sync.hpp>

#include "fiber_test.hpp"

namespace spindle::test {
namespace {

// Throws `what`, yields `yields` times inside the handler, then rethrows
// and returns what the rethrown exception says.
std::string RethrowAfterYielding(const std::string& what, int yields) {
  try {
    throw std::runtime_error(what);
  } catch (...) {
    for (int i = 0; i < yields; ++i) this_fiber::yield();
    EXPECT_EQ(std::uncaught_exceptions(), 0);
    try {
      throw;
    } catch (const std::runtime_error& e) {
      return e.what();
    }
  }
}

// What the exception being handled on this fiber says ("" if none).
std::string CurrentWhat() {
  std::exception_ptr p = std::current_exception();
  if (!p) return "";
  try {
    std::rethrow_exception(p);
  } catch (const std::exception& e) {
    return e.what();
  }
}

// Fibers 0..3 each catch their own exception, then yield inside the handler
// round-robin: each later fiber catches while the earlier ones are parked in
// their handlers. With one shared caught-exception stack, fiber 0 resumes
// with fiber 3's exception on top and `throw;` rethrows "fiber 3"; leaving
// its handler then pops fiber 3's exception from under fiber 3.
FIBER_TEST(ExceptionState, RethrowAfterSuspendingInACatchBlock) {
  for (int round = 0; round < 50; ++round) {
    constexpr int kFibers = 4;
    std::vector<std::string> rethrown(kFibers);
    std::vector<Fiber> fibers;
    for (int i = 0; i < kFibers; ++i) {
      fibers.push_back(spawn([&rethrown, i] {
        rethrown[i] = RethrowAfterYielding("fiber " + std::to_string(i), 1 + i % 3);
      }));
    }
    for (Fiber& f : fibers) f.join();
    for (int i = 0; i < kFibers; ++i) EXPECT_EQ(rethrown[i], "fiber " + std::to_string(i));
    EXPECT_EQ(std::current_exception(), nullptr);
    EXPECT_EQ(std::uncaught_exceptions(), 0);
  }
}

// A destructor that suspends while an exception unwinds through it.
struct SuspendsWhileUnwinding {
  int* before;
  int* after;
  ~SuspendsWhileUnwinding() {
    *before = std::uncaught_exceptions();
    this_fiber::yield();
    *after = std::uncaught_exceptions();
  }
};

// Fiber A throws and, while its exception is in flight, yields from a
// destructor; fiber B then runs. With one shared uncaught count B sees A's
// exception (std::uncaught_exceptions() == 1 with nothing thrown on B), so
// code like a transaction guard's "commit unless unwinding" would roll back.
FIBER_TEST(ExceptionState, UncaughtExceptionsCountsTheRunningFibersOnly) {
  int a_before = -1, a_after = -1, b_outside = -1, b_in_catch = -1;
  std::string a_caught, b_caught;
  Fiber a = spawn([&] {
    try {
      SuspendsWhileUnwinding guard{&a_before, &a_after};
      throw std::runtime_error("a");
    } catch (const std::runtime_error& e) {
      a_caught = e.what();
    }
  });
  Fiber b = spawn([&] {
    b_outside = std::uncaught_exceptions();
    try {
      throw std::logic_error("b");
    } catch (const std::logic_error& e) {
      b_caught = e.what();
      b_in_catch = std::uncaught_exceptions();
    }
  });
  a.join();
  b.join();
  EXPECT_EQ(a_before, 1);
  EXPECT_EQ(a_after, 1);
  EXPECT_EQ(a_caught, "a");
  EXPECT_EQ(b_outside, 0);
  EXPECT_EQ(b_in_catch, 0);
  EXPECT_EQ(b_caught, "b");
}

// Records, when destroyed, the exception its fiber is handling.
struct RecordsCurrentOnDestruction {
  std::string* seen;
  ~RecordsCurrentOnDestruction() { *seen = CurrentWhat(); }
};

// The thread itself is handling "outer" when it runs a scheduler whose
// fibers park inside their handlers: "two" catches first, then "one", so a
// shared stack reads one, two, outer. Destroying the scheduler unwinds the
// later-spawned fiber ("two") first; with a shared stack it would see "one"
// as its current exception and pop it, and the thread would not be back to
// exactly "outer" afterwards.
TEST(ExceptionState, DestroyingParkedFibersKeepsEveryonesCaughtException) {
  std::string one_saw, two_saw;
  try {
    throw std::runtime_error("outer");
  } catch (...) {
    Event never;  // outlives the scheduler: the fibers stay parked on it
    {
      Scheduler scheduler;
      scheduler.run([&] {
        spawn([&] {
          this_fiber::yield();  // let "two" catch first
          try {
            throw std::runtime_error("one");
          } catch (...) {
            RecordsCurrentOnDestruction r{&one_saw};
            (void)never.wait();
          }
        }).detach();
        spawn([&] {
          try {
            throw std::runtime_error("two");
          } catch (...) {
            RecordsCurrentOnDestruction r{&two_saw};
            (void)never.wait();
          }
        }).detach();
        for (int i = 0; i < 3; ++i) this_fiber::yield();
        EXPECT_EQ(CurrentWhat(), "");
        Scheduler::current()->stop();
      });
      EXPECT_EQ(CurrentWhat(), "outer");
    }  // ~Scheduler unwinds both fibers out of their handlers
    EXPECT_EQ(one_saw, "one");
    EXPECT_EQ(two_saw, "two");
    EXPECT_EQ(CurrentWhat(), "outer");
    EXPECT_EQ(std::uncaught_exceptions(), 0);
  }
  EXPECT_EQ(std::current_exception(), nullptr);
}

}  // namespace
}  // namespace spindle::test
