// Scheduler basics: spawn/join/detach, run-queue order, yield, exceptions
// that escape a fiber, stop(), stats, and teardown of parked fibers.
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

FIBER_TEST(Scheduler, SpawnRunsAfterCallerSuspends) {
  std::vector<int> order;
  Fiber f = spawn([&] { order.push_back(2); });
  order.push_back(1);  // spawn itself never suspends
  f.join();
  order.push_back(3);
  EXPECT_EQ(order, (std::vector<int>{1, 2, 3}));
  EXPECT_FALSE(f.joinable());
}

FIBER_TEST(Scheduler, RunQueueIsFifoAndYieldRotates) {
  std::vector<std::string> log;
  auto worker = [&](std::string tag) {
    return [&log, tag] {
      for (int i = 0; i < 3; ++i) {
        log.push_back(tag + std::to_string(i));
        this_fiber::yield();
      }
    };
  };
  Fiber a = spawn(worker("a"));
  Fiber b = spawn(worker("b"));
  a.join();
  b.join();
  EXPECT_EQ(log, (std::vector<std::string>{"a0", "b0", "a1", "b1", "a2", "b2"}));
}

FIBER_TEST(Scheduler, JoinAfterFiberEndedReturnsAtOnce) {
  Fiber f = spawn([] {});
  this_fiber::yield();
  EXPECT_TRUE(f.done());
  f.join();
  EXPECT_FALSE(f.done());  // no longer joinable
}

FIBER_TEST(Scheduler, JoinUntilTimesOutThenJoins) {
  Event go;
  Fiber target = spawn([&] { (void)go.wait(); });
  EXPECT_EQ(target.join_until(Deadline::after(std::chrono::milliseconds(1))), WaitStatus::kTimeout);
  EXPECT_TRUE(target.joinable());
  go.set();
  EXPECT_EQ(target.join_until(Deadline::never()), WaitStatus::kOk);
  EXPECT_FALSE(target.joinable());
}

FIBER_TEST(Scheduler, DetachedFiberKeepsRunning) {
  bool ran = false;
  Event done;
  spawn([&] {
    this_fiber::yield();
    ran = true;
    done.set();
  }).detach();
  EXPECT_EQ(done.wait_until(Deadline::after(std::chrono::seconds(10))), WaitStatus::kOk);
  EXPECT_TRUE(ran);
}

FIBER_TEST(Scheduler, DestroyedHandleDetaches) {
  Event done;
  { Fiber f = spawn([&] { done.set(); }); }
  EXPECT_EQ(done.wait_until(Deadline::after(std::chrono::seconds(10))), WaitStatus::kOk);
}

FIBER_TEST(Scheduler, EscapingExceptionEndsOnlyThatFiber) {
  Fiber bad = spawn([] { throw std::runtime_error("boom"); }, "thrower");
  Fiber good = spawn([] { this_fiber::yield(); });
  bad.join();
  good.join();
  int unknown = 0;
  Fiber weird = spawn([&] {
    ++unknown;
    throw 42;  // not a std::exception
  });
  weird.join();
  EXPECT_EQ(unknown, 1);
}

FIBER_TEST(Scheduler, NamesAndCurrent) {
  EXPECT_EQ(this_fiber::name(), "main");
  ASSERT_NE(Scheduler::current(), nullptr);
  std::string seen;
  Fiber f = spawn([&] {
    seen = std::string(this_fiber::name());
    this_fiber::set_name("renamed");
    seen += "/" + std::string(this_fiber::name());
  }, "route:/x");
  f.join();
  EXPECT_EQ(seen, "route:/x/renamed");
}

FIBER_TEST(Scheduler, StatsCountFibersAndStacks) {
  Scheduler* s = Scheduler::current();
  const size_t base = s->fibers_alive();
  EXPECT_EQ(base, 1u);  // main
  Event go;
  std::vector<Fiber> fs;
  for (int i = 0; i < 5; ++i) fs.push_back(spawn([&] { (void)go.wait(); }));
  EXPECT_EQ(s->fibers_alive(), base + 5);
  EXPECT_GE(s->stack_bytes_in_use(), 6 * s->options().stack_size);
  go.set();
  for (Fiber& f : fs) f.join();
  EXPECT_EQ(s->fibers_alive(), base);
}

TEST(Scheduler, RunReturnsWhenAllFibersEnded) {
  Scheduler s;
  int count = 0;
  s.run([&] {
    for (int i = 0; i < 100; ++i) spawn([&] {
        this_fiber::yield();
        ++count;
      });
  });
  EXPECT_EQ(count, 100);
  EXPECT_EQ(s.fibers_alive(), 0u);
  EXPECT_EQ(Scheduler::current(), nullptr);
  // A scheduler can run again.
  s.run([&] { ++count; });
  EXPECT_EQ(count, 101);
}

TEST(Scheduler, StopReturnsAndDestructorUnwindsParkedFibers) {
  int destroyed = 0;
  struct Guard {
    int* n;
    ~Guard() { ++*n; }
  };
  {
    Scheduler s;
    s.run([&] {
      for (int i = 0; i < 3; ++i) {
        spawn([&] {
          Guard g{&destroyed};
          Event never;
          (void)never.wait();  // parked forever
        });
      }
      spawn([&] {
        Guard g{&destroyed};
        (void)this_fiber::sleep_for(std::chrono::hours(1));
      });
      spawn([&] { Guard g{&destroyed}; }).detach();  // still queued at stop()
      Scheduler::current()->stop();
    });
    // run() returned once the run queue drained: the last fiber ran to its
    // end, the other four are parked.
    EXPECT_EQ(destroyed, 1);
    EXPECT_EQ(s.fibers_alive(), 4u);
  }
  // RAII ran in each parked fiber when the scheduler was destroyed.
  EXPECT_EQ(destroyed, 5);
}

TEST(Scheduler, StopFromAnotherThread) {
  Scheduler s;
  std::thread stopper;
  s.run([&] {
    spawn([] {
      Event never;
      (void)never.wait();
    });
    stopper = std::thread([&s] { s.stop(); });
  });
  stopper.join();
}

TEST(Scheduler, MisuseIsReported) {
  EXPECT_THROW(spawn([] {}), std::logic_error);
  Scheduler s;
  s.run([&] {
    EXPECT_THROW(s.run([] {}), std::logic_error);
    Fiber self_join;
    Fiber f = spawn([&] { EXPECT_THROW(self_join.join(), std::logic_error); });
    self_join = std::move(f);
    self_join.join();
  });
}

TEST(Scheduler, OutsideAFiberCallsFallBack) {
  this_fiber::yield();  // no-op
  EXPECT_EQ(this_fiber::sleep_for(std::chrono::milliseconds(1)), WaitStatus::kOk);
  EXPECT_FALSE(this_fiber::is_cancelled());
  EXPECT_EQ(this_fiber::name(), "");
  Event e;
  EXPECT_THROW((void)e.wait(), std::logic_error);
}

}  // namespace
}  // namespace spindle::test
