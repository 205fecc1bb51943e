// Fiber test fixture: FIBER_TEST / FIBER_TEST_F run a GoogleTest body as the
// main fiber of a fresh spindle::Scheduler on the test's thread, so the body
// may call anything that suspends (sleep, channels, sockets, Redis, ...).
//
//   FIBER_TEST(Channel, PingPong) { spindle::Channel<int> ch(1); ... }
//   FIBER_TEST_F(MyFixture, Name) { ... uses fixture members ... }
//
// The scheduler runs until every fiber has ended. A fatal assertion
// (ASSERT_*) ends the body; the scheduler is then stopped and fibers still
// parked are unwound. Every run is bounded: if the scheduler has not
// finished within the limit (default 60 s; a deadlock), the process aborts
// with a message instead of hanging ctest. Header-only: include it with
// ${CMAKE_SOURCE_DIR}/tests/support on the include path.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <mutex>
#include <thread>
#include <utility>

#include <spindle/scheduler.hpp>

namespace spindle::test {

// Runs body inside a new Scheduler built from options; returns when the
// scheduler has finished. Aborts the process after `limit`.
inline void RunInScheduler(std::function<void()> body, SchedulerOptions options = {},
                           std::chrono::seconds limit = std::chrono::seconds(60)) {
  std::mutex mutex;
  std::condition_variable cv;
  bool finished = false;
  std::thread guard([&] {
    std::unique_lock<std::mutex> lock(mutex);
    if (!cv.wait_for(lock, limit, [&] { return finished; })) {
      std::fprintf(stderr, "fiber test: scheduler still running after %lld s (deadlock?); aborting\n",
                   static_cast<long long>(limit.count()));
      std::abort();
    }
  });
  {
    Scheduler scheduler(std::move(options));
    scheduler.run([&] {
      body();
      if (::testing::Test::HasFatalFailure()) Scheduler::current()->stop();
    });
  }
  {
    std::lock_guard<std::mutex> lock(mutex);
    finished = true;
  }
  cv.notify_all();
  guard.join();
}

}  // namespace spindle::test

#define FIBER_TEST(suite, name)                                               \
  static void suite##_##name##_FiberBody();                                   \
  TEST(suite, name) { ::spindle::test::RunInScheduler(&suite##_##name##_FiberBody); } \
  static void suite##_##name##_FiberBody()

#define FIBER_TEST_F(fixture, name)                                           \
  class fixture##_##name##_FiberBody : public fixture {                       \
   public:                                                                    \
    void FiberBody();                                                         \
  };                                                                          \
  GTEST_TEST_(fixture, name, fixture##_##name##_FiberBody,                    \
              ::testing::internal::GetTypeId<fixture>()) {                    \
    ::spindle::test::RunInScheduler([this] { FiberBody(); });              \
  }                                                                           \
  void fixture##_##name##_FiberBody::FiberBody()
