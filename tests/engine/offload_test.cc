// offload(): results of every kind, exceptions rethrown, many concurrent
// offloads from many fibers, the other fibers keep running meanwhile, and the
// inline fallback outside a fiber.
#include <atomic>
#include <chrono>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include <spindle/fiber.hpp>
#include <spindle/offload.hpp>
#include <spindle/sync.hpp>

#include "fiber_test.hpp"

namespace spindle::test {
namespace {

FIBER_TEST(Offload, ReturnsValuesVoidReferencesMoveOnly) {
  const std::thread::id me = std::this_thread::get_id();
  EXPECT_NE(offload([] { return std::this_thread::get_id(); }), me);
  EXPECT_EQ(offload([] { return std::string("abc"); }), "abc");
  int x = 1;
  offload([&] { x = 2; });
  EXPECT_EQ(x, 2);
  int& ref = offload([&]() -> int& { return x; });
  EXPECT_EQ(&ref, &x);
  std::unique_ptr<int> p = offload([] { return std::make_unique<int>(9); });
  EXPECT_EQ(*p, 9);
}

FIBER_TEST(Offload, RethrowsTheException) {
  EXPECT_THROW(offload([]() -> int { throw std::runtime_error("disk on fire"); }), std::runtime_error);
  try {
    offload([] { throw std::invalid_argument("bad"); });
    FAIL() << "no exception";
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(e.what(), "bad");
  }
}

FIBER_TEST(Offload, ParksOnlyTheCallingFiber) {
  std::atomic<bool> release{false};
  int ticks = 0;
  Fiber ticker = spawn([&] {
    while (!release.load()) {
      ++ticks;
      (void)this_fiber::sleep_for(std::chrono::microseconds(100));
    }
  });
  Fiber blocker = spawn([&] {
    offload([&] {
      while (!release.load()) std::this_thread::sleep_for(std::chrono::microseconds(100));
    });
  });
  // The ticker runs while the blocker is parked in offload.
  while (ticks < 20) (void)this_fiber::sleep_for(std::chrono::microseconds(100));
  release = true;
  blocker.join();
  ticker.join();
  EXPECT_GE(ticks, 20);
}

// A slow job and a quick one submitted together, right after a job (so a
// pool thread is polling for work): the quick one must not queue behind the
// slow one while the other thread sleeps.
FIBER_TEST(Offload, QuickJobDoesNotWaitBehindASlowOne) {
  for (int round = 0; round < 5; ++round) {
    offload([] {});  // leaves one thread spinning for the next job
    auto start = std::chrono::steady_clock::now();
    std::chrono::steady_clock::duration slow_took{}, quick_took{};
    Fiber slow = spawn([&] {
      offload([] { std::this_thread::sleep_for(std::chrono::milliseconds(300)); });
      slow_took = std::chrono::steady_clock::now() - start;
    });
    Fiber quick = spawn([&] {
      offload([] {});
      quick_took = std::chrono::steady_clock::now() - start;
    });
    slow.join();
    quick.join();
    EXPECT_GE(slow_took, std::chrono::milliseconds(300));
    EXPECT_LT(quick_took, std::chrono::milliseconds(100))
        << "round " << round << ": the quick job waited behind the slow one";
  }
}

FIBER_TEST(Offload, ManyConcurrentCallers) {
  constexpr int kFibers = 200;
  std::atomic<int> ran{0};
  long sum = 0;
  WaitGroup wg;
  wg.add(kFibers);
  for (int i = 0; i < kFibers; ++i) {
    spawn([&, i] {
      sum += offload([&, i] {
        ran.fetch_add(1);
        return i;
      });
      wg.done();
    }).detach();
  }
  EXPECT_EQ(wg.wait_until(Deadline::after(std::chrono::seconds(30))), WaitStatus::kOk);
  EXPECT_EQ(ran.load(), kFibers);
  EXPECT_EQ(sum, static_cast<long>(kFibers) * (kFibers - 1) / 2);
}

TEST(Offload, OutsideAFiberRunsInline) {
  EXPECT_EQ(offload([] { return std::this_thread::get_id(); }), std::this_thread::get_id());
}

}  // namespace
}  // namespace spindle::test
