// Stacks: a fiber that overflows its stack faults on the guard page (death
// test; the fault address is checked to lie in the guard page), stacks are
// pooled and reused, the configured size is usable, and
// this_fiber::stack_remaining() measures the fiber's or the thread's stack.
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <cstdint>
#include <cstring>

#include <gtest/gtest.h>

#include <spindle/fiber.hpp>
#include <spindle/scheduler.hpp>

#include "engine/scheduler_impl.hpp"
#include "engine/stack_pool.hpp"
#include "fiber_test.hpp"

namespace spindle::test {
namespace {

uintptr_t g_guard_lo = 0, g_guard_hi = 0;

void OnSegv(int, siginfo_t* info, void*) {
  const auto addr = reinterpret_cast<uintptr_t>(info->si_addr);
  const char* msg = (addr >= g_guard_lo && addr < g_guard_hi) ? "fault in guard page\n"
                                                               : "fault outside guard page\n";
  (void)!::write(2, msg, std::strlen(msg));
  ::_exit(3);
}

[[gnu::noinline]] int Recurse(int depth) {
  volatile char frame[256];
  frame[0] = static_cast<char>(depth);
  return depth > 1000000000 ? 0 : Recurse(depth + 1) + frame[0];
}

void OverflowInFiber() {
  // The SEGV handler needs a stack of its own: the fiber's is exhausted.
  static char alt[64 * 1024];
  stack_t ss{};
  ss.ss_sp = alt;
  ss.ss_size = sizeof alt;
  ::sigaltstack(&ss, nullptr);
  struct sigaction sa {};
  sa.sa_sigaction = OnSegv;
  sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
  ::sigaction(SIGSEGV, &sa, nullptr);
  Scheduler s;
  s.run([] {
    const auto [lo, size] = engine::SchedulerImpl::Current()->CurrentStack();
    g_guard_hi = reinterpret_cast<uintptr_t>(lo);
    g_guard_lo = g_guard_hi - engine::StackPool::PageSize();
    (void)size;
    Recurse(0);
  });
}

TEST(StackDeathTest, OverflowHitsTheGuardPage) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(OverflowInFiber(), ::testing::ExitedWithCode(3), "fault in guard page");
}

FIBER_TEST(Stack, ConfiguredSizeIsUsable) {
  // Touch most of the 64 KiB stack (frames of the test body are above).
  Fiber f = spawn([] {
    volatile char big[48 * 1024];
    std::memset(const_cast<char*>(big), 1, sizeof big);
    EXPECT_EQ(big[sizeof big - 1], 1);
  });
  f.join();
}

// Stack left below a frame that holds `bytes` of locals.
[[gnu::noinline]] size_t RemainingBelow(size_t bytes) {
  volatile char pad[4096];
  pad[bytes % sizeof pad] = 1;
  const size_t left = this_fiber::stack_remaining();
  pad[0] = 0;  // pad (the whole frame) stays live across the call
  return left;
}

TEST(StackRemaining, OnAFiberItCountsDownToTheStacksLowEnd) {
  SchedulerOptions so;
  so.stack_size = 16 * 1024;
  test::RunInScheduler(
      [] {
        const auto [lo, size] = engine::SchedulerImpl::Current()->CurrentStack();
        const size_t here = this_fiber::stack_remaining();
        const auto frame = reinterpret_cast<uintptr_t>(__builtin_frame_address(0));
        // Below this frame, within the fiber's stack (16 KiB; 4x under ASan).
#if defined(__SANITIZE_ADDRESS__)
        EXPECT_EQ(size, 4u * 16 * 1024);
#else
        EXPECT_EQ(size, 16u * 1024);
#endif
        EXPECT_GT(here, 0u);
        EXPECT_LT(here, size);
        EXPECT_LE(here, frame - reinterpret_cast<uintptr_t>(lo));
        EXPECT_GT(here + 2048, frame - reinterpret_cast<uintptr_t>(lo));
        // A 4 KiB frame further down leaves at least 4 KiB less.
        EXPECT_LE(RemainingBelow(1), here - 4096);
      },
      so);
}

TEST(StackRemaining, OnAPlainThreadItUsesThePthreadBounds) {
  pthread_attr_t attr;
  ASSERT_EQ(pthread_attr_init(&attr), 0);
  ASSERT_EQ(pthread_attr_setstacksize(&attr, 256 * 1024), 0);
  static size_t here, below;
  pthread_t th;
  ASSERT_EQ(pthread_create(
                &th, &attr,
                [](void*) -> void* {
                  here = this_fiber::stack_remaining();
                  below = RemainingBelow(2);
                  return nullptr;
                },
                nullptr),
            0);
  pthread_join(th, nullptr);
  pthread_attr_destroy(&attr);
  EXPECT_GT(here, 200u * 1024);  // the thread has barely started
  EXPECT_LT(here, 256u * 1024);
  EXPECT_LE(below, here - 4096);
}

TEST(StackPool, ReusesStacksAndCapsTheCache) {
  engine::StackPool pool(64 * 1024, 2);
  EXPECT_EQ(pool.usable_size(), 64u * 1024);
  boost::context::stack_context a = pool.Allocate();
  boost::context::stack_context b = pool.Allocate();
  boost::context::stack_context c = pool.Allocate();
  EXPECT_EQ(pool.in_use(), 3u);
  void* a_sp = a.sp;
  pool.Deallocate(a);
  pool.Deallocate(b);
  pool.Deallocate(c);  // beyond the cache: unmapped
  EXPECT_EQ(pool.in_use(), 0u);
  boost::context::stack_context d = pool.Allocate();
  boost::context::stack_context e = pool.Allocate();
  EXPECT_TRUE(d.sp == a_sp || e.sp == a_sp);
  // The usable range is writable right up to the top.
  static_cast<char*>(d.sp)[-1] = 1;
  static_cast<char*>(d.sp)[-static_cast<ptrdiff_t>(d.size)] = 1;
  pool.Deallocate(d);
  pool.Deallocate(e);
}

}  // namespace
}  // namespace spindle::test
