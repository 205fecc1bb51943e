// Mutex, ConditionVariable, Event, WaitGroup: semantics, deadlines and
// cancellation of each wait.
#include <vector>

#include <gtest/gtest.h>

#include <spindle/fiber.hpp>
#include <spindle/sync.hpp>

#include "fiber_test.hpp"

namespace spindle::test {
namespace {

using std::chrono::milliseconds;

FIBER_TEST(Mutex, ExcludesAcrossSuspension) {
  Mutex m;
  int inside = 0, max_inside = 0, total = 0;
  std::vector<Fiber> fs;
  for (int i = 0; i < 8; ++i) {
    fs.push_back(spawn([&] {
      for (int k = 0; k < 50; ++k) {
        std::lock_guard<Mutex> lock(m);
        ++inside;
        max_inside = std::max(max_inside, inside);
        this_fiber::yield();  // suspend while holding the lock
        ++total;
        --inside;
      }
    }));
  }
  for (Fiber& f : fs) f.join();
  EXPECT_EQ(max_inside, 1);
  EXPECT_EQ(total, 400);
}

FIBER_TEST(Mutex, HandsOffInFifoOrder) {
  Mutex m;
  m.lock();
  std::vector<int> order;
  std::vector<Fiber> fs;
  for (int i = 0; i < 5; ++i) {
    fs.push_back(spawn([&, i] {
      m.lock();
      order.push_back(i);
      m.unlock();
    }));
    this_fiber::yield();  // queue them in spawn order
  }
  // A late try_lock must not overtake the queued waiters.
  m.unlock();
  EXPECT_FALSE(m.try_lock());
  for (Fiber& f : fs) f.join();
  EXPECT_EQ(order, (std::vector<int>{0, 1, 2, 3, 4}));
  EXPECT_TRUE(m.try_lock());
  m.unlock();
}

FIBER_TEST(Mutex, LockUntilTimesOutAndIsCancellable) {
  Mutex m;
  m.lock();
  Fiber t = spawn([&] { EXPECT_EQ(m.lock_for(milliseconds(2)), WaitStatus::kTimeout); });
  t.join();
  Fiber c = spawn([&] { EXPECT_EQ(m.lock_until(Deadline::never()), WaitStatus::kCancelled); });
  this_fiber::yield();
  c.cancel();
  c.join();
  m.unlock();
  // Neither failed waiter may own the mutex now.
  EXPECT_TRUE(m.try_lock());
  m.unlock();
}

FIBER_TEST(Mutex, PlainLockIgnoresCancellation) {
  Mutex m;
  m.lock();
  bool got = false;
  Fiber f = spawn([&] {
    m.lock();
    got = true;
    m.unlock();
  });
  this_fiber::yield();
  f.cancel();
  this_fiber::yield();
  EXPECT_FALSE(got);
  m.unlock();
  f.join();
  EXPECT_TRUE(got);
}

FIBER_TEST(ConditionVariable, NotifyOneWakesOneNotifyAllWakesAll) {
  Mutex m;
  ConditionVariable cv;
  int ready = 0, woke = 0;
  std::vector<Fiber> fs;
  for (int i = 0; i < 4; ++i) {
    fs.push_back(spawn([&] {
      std::unique_lock<Mutex> lock(m);
      ++ready;
      cv.wait(lock);
      EXPECT_TRUE(lock.owns_lock());
      ++woke;
    }));
  }
  while (ready < 4) this_fiber::yield();
  cv.notify_one();
  for (int i = 0; i < 5; ++i) this_fiber::yield();
  EXPECT_EQ(woke, 1);
  cv.notify_all();
  for (Fiber& f : fs) f.join();
  EXPECT_EQ(woke, 4);
}

FIBER_TEST(ConditionVariable, PredicateDeadlineAndCancel) {
  Mutex m;
  ConditionVariable cv;
  bool flag = false;
  {
    std::unique_lock<Mutex> lock(m);
    EXPECT_EQ(cv.wait_for(lock, milliseconds(2), [&] { return flag; }), WaitStatus::kTimeout);
    EXPECT_TRUE(lock.owns_lock());
  }
  Fiber setter = spawn([&] {
    std::lock_guard<Mutex> lock(m);
    flag = true;
    cv.notify_all();
  });
  {
    std::unique_lock<Mutex> lock(m);
    EXPECT_EQ(cv.wait(lock, [&] { return flag; }), WaitStatus::kOk);
  }
  setter.join();
  Fiber c = spawn([&] {
    std::unique_lock<Mutex> lock(m);
    EXPECT_EQ(cv.wait(lock, [] { return false; }), WaitStatus::kCancelled);
    EXPECT_TRUE(lock.owns_lock());
  });
  this_fiber::yield();
  c.cancel();
  c.join();
}

FIBER_TEST(Event, SetWakesAllAndStaysSet) {
  Event e;
  int woke = 0;
  std::vector<Fiber> fs;
  for (int i = 0; i < 3; ++i) fs.push_back(spawn([&] {
      EXPECT_EQ(e.wait(), WaitStatus::kOk);
      ++woke;
    }));
  this_fiber::yield();
  EXPECT_EQ(woke, 0);
  e.set();
  for (Fiber& f : fs) f.join();
  EXPECT_EQ(woke, 3);
  EXPECT_TRUE(e.is_set());
  EXPECT_EQ(e.wait(), WaitStatus::kOk);
  e.reset();
  EXPECT_FALSE(e.is_set());
  EXPECT_EQ(e.wait_for(milliseconds(1)), WaitStatus::kTimeout);
}

// A set with nobody waiting is kept for the next wait; each kOk consumes it.
FIBER_TEST(AutoResetEvent, KeepsOneSetForTheNextWaitAndConsumesIt) {
  AutoResetEvent e;
  e.set();
  e.set();  // several sets before a wait count as one
  EXPECT_TRUE(e.is_set());
  EXPECT_EQ(e.wait_for(milliseconds(1)), WaitStatus::kOk);
  EXPECT_FALSE(e.is_set());
  EXPECT_EQ(e.wait_for(milliseconds(1)), WaitStatus::kTimeout);

  int woke = 0;
  Fiber waiter = spawn([&] {
    EXPECT_EQ(e.wait(), WaitStatus::kOk);
    ++woke;
    EXPECT_EQ(e.wait(), WaitStatus::kOk);
    ++woke;
  });
  this_fiber::yield();
  EXPECT_EQ(woke, 0);
  e.set();  // wakes the parked waiter
  this_fiber::yield();
  EXPECT_EQ(woke, 1);
  EXPECT_FALSE(e.is_set());
  e.set();
  waiter.join();
  EXPECT_EQ(woke, 2);

  // One consumer: a second fiber waiting at the same time is a bug.
  Fiber first = spawn([&] { (void)e.wait_for(milliseconds(50)); });
  this_fiber::yield();
  EXPECT_THROW((void)e.wait_for(milliseconds(1)), std::logic_error);
  e.set();
  first.join();

  Fiber cancelled = spawn([&] { EXPECT_EQ(e.wait(), WaitStatus::kCancelled); });
  this_fiber::yield();
  cancelled.cancel();
  cancelled.join();
}

FIBER_TEST(WaitGroup, WaitsForAllDone) {
  WaitGroup wg;
  int finished = 0;
  for (int i = 0; i < 10; ++i) {
    wg.add();
    spawn([&, i] {
      (void)this_fiber::sleep_for(std::chrono::microseconds(100 * (i % 3)));
      ++finished;
      wg.done();
    }).detach();
  }
  EXPECT_EQ(wg.wait(), WaitStatus::kOk);
  EXPECT_EQ(finished, 10);
  EXPECT_EQ(wg.count(), 0u);
  EXPECT_EQ(wg.wait(), WaitStatus::kOk);  // zero: immediate
  EXPECT_THROW(wg.done(), std::logic_error);
  wg.add(1);
  EXPECT_EQ(wg.wait_for(milliseconds(1)), WaitStatus::kTimeout);
  wg.done();
}

}  // namespace
}  // namespace spindle::test
