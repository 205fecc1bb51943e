// Interrupting and inherited deadlines (engine/fiber_deadline.hpp), and the
// drain's use of them (<spindle/lifecycle.hpp>): an interrupt ends the wait
// of an interruptible scope as a timeout, now or at its next wait, and
// nothing outside a scope; DrainWake and wake_on_drain wake on the drain and
// only the waits they cover. The drain state is per thread, so each
// lifecycle test runs its scheduler on a thread of its own.
#include <gtest/gtest.h>

#include <spindle/channel.hpp>
#include <spindle/fiber.hpp>
#include <spindle/lifecycle.hpp>
#include <spindle/sync.hpp>

#include <chrono>
#include <thread>
#include <vector>

#include "engine/fiber_deadline.hpp"
#include "fiber_test.hpp"
#include "server/draining.hpp"

namespace spindle::test {
namespace {

using std::chrono::hours;
using std::chrono::milliseconds;

FIBER_TEST(Interrupt, EndsTheCurrentWaitOfAScopeAsATimeout) {
  engine::FiberContext* target = nullptr;
  WaitStatus st = WaitStatus::kOk;
  Fiber f = spawn([&] {
    target = engine::CurrentFiber();
    engine::SetInterruptible(target, true);
    Event never;
    st = never.wait_until(Deadline::after(hours(1)));
    engine::SetInterruptible(target, false);
  });
  this_fiber::yield();  // f parks
  Clock::time_point t0 = Clock::now();
  engine::InterruptFiber(target);
  f.join();
  EXPECT_EQ(st, WaitStatus::kTimeout);
  EXPECT_LT(Clock::now() - t0, milliseconds(100));
}

FIBER_TEST(Interrupt, OutsideAScopeItDoesNothing) {
  engine::FiberContext* target = nullptr;
  WaitStatus st = WaitStatus::kOk;
  Fiber f = spawn([&] {
    target = engine::CurrentFiber();
    Event never;
    st = never.wait_until(Deadline::after(milliseconds(50)));
  });
  this_fiber::yield();
  Clock::time_point t0 = Clock::now();
  engine::InterruptFiber(target);
  f.join();
  EXPECT_EQ(st, WaitStatus::kTimeout);
  EXPECT_GE(Clock::now() - t0, milliseconds(40));  // its own deadline, not the interrupt
}

FIBER_TEST(Interrupt, ANotYetWaitingFiberEndsItsNextWaitOnlyOnce) {
  engine::FiberContext* target = nullptr;
  std::vector<ChannelStatus> seen;
  Channel<int> ch(1);
  Fiber f = spawn([&] {
    target = engine::CurrentFiber();
    engine::SetInterruptible(target, true);
    engine::InterruptFiber(target);  // while running: pending
    int v = 0;
    seen.push_back(ch.pop_until(v, Deadline::after(hours(1))));          // ends at once
    seen.push_back(ch.pop_until(v, Deadline::after(milliseconds(30))));  // a normal wait
    engine::SetInterruptible(target, false);
  });
  f.join();
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0], ChannelStatus::kTimeout);
  EXPECT_EQ(seen[1], ChannelStatus::kTimeout);
}

FIBER_TEST(Interrupt, LeavingTheScopeDropsAPendingInterrupt) {
  WaitStatus st = WaitStatus::kOk;
  Fiber f = spawn([&] {
    engine::FiberContext* self = engine::CurrentFiber();
    engine::SetInterruptible(self, true);
    engine::InterruptFiber(self);
    engine::SetInterruptible(self, false);
    Event e;
    Fiber setter = spawn([&e] { e.set(); });
    st = e.wait_until(Deadline::after(hours(1)));  // set, not interrupted
    setter.join();
  });
  f.join();
  EXPECT_EQ(st, WaitStatus::kOk);
}

FIBER_TEST(Interrupt, CancellationStillWins) {
  WaitStatus st = WaitStatus::kOk;
  Fiber f = spawn([&] {
    engine::SetInterruptible(engine::CurrentFiber(), true);
    st = this_fiber::sleep_for(hours(1));
    engine::SetInterruptible(engine::CurrentFiber(), false);
  });
  this_fiber::yield();
  f.cancel();
  f.join();
  EXPECT_EQ(st, WaitStatus::kCancelled);
}

FIBER_TEST(InheritedDeadline, SetPerFiberAndNotPassedToSpawnedFibers) {
  EXPECT_TRUE(engine::InheritedDeadline().is_never());
  Deadline d = Deadline::after(std::chrono::seconds(5));
  engine::SetInheritedDeadline(d);
  EXPECT_EQ(engine::InheritedDeadline(), d);
  bool child_never = false;
  Fiber f = spawn([&] { child_never = engine::InheritedDeadline().is_never(); });
  f.join();
  EXPECT_TRUE(child_never);
  EXPECT_EQ(engine::InheritedDeadline(), d);
}

TEST(InheritedDeadline, NeverOutsideAFiber) {
  EXPECT_TRUE(engine::InheritedDeadline().is_never());
  engine::SetInheritedDeadline(Deadline::after(std::chrono::seconds(1)));  // no-op
  EXPECT_TRUE(engine::InheritedDeadline().is_never());
}

// Runs `body` as the main fiber of a scheduler on a new thread (its drain
// state starts false and dies with the thread).
void OnOwnThread(std::function<void()> body) {
  std::thread t([&] { RunInScheduler(body); });
  t.join();
}

TEST(DrainWake, TheDrainEndsTheCoveredWaitsOnly) {
  OnOwnThread([] {
    EXPECT_FALSE(draining());
    Channel<int> ch(1);
    ChannelStatus covered = ChannelStatus::kSuccess;
    WaitStatus uncovered = WaitStatus::kOk;
    Clock::time_point woke;
    Fiber poll = spawn([&] {
      int v = 0;
      covered = wake_on_drain([&] { return ch.pop_until(v, Deadline::after(hours(1))); });
      woke = Clock::now();
    });
    Fiber busy = spawn([&] { uncovered = this_fiber::sleep_for(milliseconds(80)) ; });
    this_fiber::yield();
    Clock::time_point t0 = Clock::now();
    server::BeginDraining();
    EXPECT_TRUE(draining());
    poll.join();
    busy.join();
    EXPECT_EQ(covered, ChannelStatus::kTimeout);
    EXPECT_LT(woke - t0, milliseconds(50));
    EXPECT_EQ(uncovered, WaitStatus::kOk);
    EXPECT_GE(Clock::now() - t0, milliseconds(70));  // the uncovered sleep ran its course
  });
}

TEST(DrainWake, CreatedDuringTheDrainItsWaitEndsAtOnce) {
  OnOwnThread([] {
    server::BeginDraining();
    Event never;
    Clock::time_point t0 = Clock::now();
    WaitStatus st = wake_on_drain([&] { return never.wait_until(Deadline::after(hours(1))); });
    EXPECT_EQ(st, WaitStatus::kTimeout);
    EXPECT_LT(Clock::now() - t0, milliseconds(50));
    // Outside a DrainWake waits are normal, also while draining.
    st = never.wait_until(Deadline::after(milliseconds(30)));
    EXPECT_EQ(st, WaitStatus::kTimeout);
    EXPECT_GE(Clock::now() - t0, milliseconds(25));
  });
}

TEST(DrainWake, ManyWaitersAllWakeAndEndedOnesAreUnlinked) {
  OnOwnThread([] {
    constexpr int kWaiters = 200;
    int woken = 0;
    std::vector<Fiber> fibers;
    {
      // One that ends before the drain: its DrainWake must be gone from the list.
      Fiber early = spawn([] {
        wake_on_drain([] { return this_fiber::sleep_for(milliseconds(1)); });
      });
      early.join();
    }
    for (int i = 0; i < kWaiters; ++i) {
      fibers.push_back(spawn([&woken] {
        Event never;
        DrainWake outer;
        DrainWake inner;  // nested scopes
        if (never.wait_until(Deadline::after(hours(1))) == WaitStatus::kTimeout) ++woken;
      }));
    }
    this_fiber::yield();
    server::BeginDraining();
    for (Fiber& f : fibers) f.join();
    EXPECT_EQ(woken, kWaiters);
  });
}

}  // namespace
}  // namespace spindle::test
