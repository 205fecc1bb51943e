// Stacks: a fiber that overflows its stack faults on the guard page (death
// test; the fault address is checked to lie in the guard page), stacks are
// pooled and reused, and the configured size is usable.
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

namespace spindle {
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
    const auto [lo, size] = impl::SchedulerImpl::Current()->CurrentStack();
    g_guard_hi = reinterpret_cast<uintptr_t>(lo);
    g_guard_lo = g_guard_hi - impl::StackPool::PageSize();
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

TEST(StackPool, ReusesStacksAndCapsTheCache) {
  impl::StackPool pool(64 * 1024, 2);
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
}  // namespace spindle
