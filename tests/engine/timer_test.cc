// Timers: sleeps wake in deadline order, many concurrent sleeps, deadlines
// already passed, and timers cancelled by an earlier wake.
#include <algorithm>
#include <vector>

#include <gtest/gtest.h>

#include <spindle/fiber.hpp>
#include <spindle/scheduler.hpp>
#include <spindle/sync.hpp>

#include "fiber_test.hpp"

namespace spindle::test {
namespace {

using std::chrono::milliseconds;

FIBER_TEST(Timer, SleepsWakeInDeadlineOrder) {
  // Spawned in scrambled order; all deadlines are relative to one base, so
  // the wake order must follow the deadlines whatever the machine's load.
  const Clock::time_point base = Clock::now() + milliseconds(20);
  const std::vector<int> offsets = {7, 3, 9, 1, 5, 0, 8, 2, 6, 4};
  std::vector<int> woke;
  std::vector<Fiber> fs;
  for (int off : offsets) {
    fs.push_back(spawn([&, off] {
      EXPECT_EQ(this_fiber::sleep_until(base + milliseconds(off)), WaitStatus::kOk);
      woke.push_back(off);
    }));
  }
  for (Fiber& f : fs) f.join();
  EXPECT_EQ(woke, (std::vector<int>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}));
}

FIBER_TEST(Timer, SleepReturnsNotBeforeItsDeadline) {
  for (int i = 0; i < 20; ++i) {
    const Clock::time_point until = Clock::now() + std::chrono::microseconds(300 * i);
    EXPECT_EQ(this_fiber::sleep_until(until), WaitStatus::kOk);
    EXPECT_GE(Clock::now(), until);  // ordering, not elapsed time
  }
}

FIBER_TEST(Timer, PassedDeadlinesReturnAtOnce) {
  EXPECT_EQ(this_fiber::sleep_for(Clock::duration::zero()), WaitStatus::kOk);
  EXPECT_EQ(this_fiber::sleep_for(-milliseconds(5)), WaitStatus::kOk);
  Event e;
  EXPECT_EQ(e.wait_until(Deadline::at(Clock::now() - milliseconds(1))), WaitStatus::kTimeout);
  EXPECT_TRUE(Deadline::at(Clock::now() - milliseconds(1)).passed());
  EXPECT_FALSE(Deadline::never().passed());
  EXPECT_TRUE(Deadline::after(Clock::duration::max()).is_never());
  const Deadline a = Deadline::after(milliseconds(1)), b = Deadline::after(milliseconds(9));
  EXPECT_EQ(Deadline::earliest(a, b), a);
  EXPECT_EQ(Deadline::earliest(Deadline::never(), b), b);
}

FIBER_TEST(Timer, TwentyThousandConcurrentSleeps) {
  // Many armed timers with identical and distinct deadlines; each fiber's
  // wake must come after its own deadline.
  constexpr int kFibers = 20000;
  const Clock::time_point base = Clock::now() + milliseconds(50);
  int late_ok = 0;
  WaitGroup wg;
  wg.add(kFibers);
  for (int i = 0; i < kFibers; ++i) {
    spawn([&, i] {
      const Clock::time_point until = base + milliseconds(i % 50);
      if (this_fiber::sleep_until(until) == WaitStatus::kOk && Clock::now() >= until) ++late_ok;
      wg.done();
    }).detach();
  }
  EXPECT_EQ(wg.wait_until(Deadline::after(std::chrono::seconds(30))), WaitStatus::kOk);
  EXPECT_EQ(late_ok, kFibers);
}

FIBER_TEST(Timer, WakeBeforeDeadlineDisarmsTimer) {
  // Waits with far deadlines that end by an event must not leave timers
  // behind (a stale timer would later wake a reused fiber record).
  for (int round = 0; round < 200; ++round) {
    Event e;
    Fiber f = spawn([&] { EXPECT_EQ(e.wait_until(Deadline::after(milliseconds(2))), WaitStatus::kOk); });
    this_fiber::yield();
    e.set();
    f.join();
  }
  // Now sleep past all those deadlines: any stale timer would fire on a
  // recycled record here.
  EXPECT_EQ(this_fiber::sleep_for(milliseconds(5)), WaitStatus::kOk);
  Event e;
  EXPECT_EQ(e.wait_until(Deadline::after(milliseconds(1))), WaitStatus::kTimeout);
}

}  // namespace
}  // namespace spindle::test
