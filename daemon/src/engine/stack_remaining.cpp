// this_fiber::stack_remaining (<spindle/fiber.hpp>): the distance from the
// caller's frame to the low end of the stack it runs on. A fiber's bounds
// come from its record (the pooled, guard-paged stack); any other stack is
// the thread's own, whose bounds pthread_getattr_np gives (for the main
// thread glibc reads /proc/self/maps, so they are cached per thread).
//
// Thread/fiber contract: any thread, any fiber; never suspends. The frame
// address, not a local's address, is used: under ASan with
// detect_stack_use_after_return locals live on a heap "fake stack".
#include <pthread.h>

#include <cstdint>

#include <spindle/fiber.hpp>

#include "engine/scheduler_impl.hpp"

namespace spindle::this_fiber {
namespace {

struct Bounds {
  uintptr_t lo = 0;
  uintptr_t hi = 0;
};

Bounds ThreadStack() noexcept {
  static thread_local Bounds cached;
  static thread_local bool looked_up = false;
  if (!looked_up) {
    looked_up = true;
    pthread_attr_t attr;
    if (pthread_getattr_np(pthread_self(), &attr) == 0) {
      void* addr = nullptr;
      size_t size = 0;
      if (pthread_attr_getstack(&attr, &addr, &size) == 0) {
        cached.lo = reinterpret_cast<uintptr_t>(addr);
        cached.hi = cached.lo + size;
      }
      pthread_attr_destroy(&attr);
    }
  }
  return cached;
}

Bounds CurrentStack() noexcept {
  engine::SchedulerImpl* sched = engine::SchedulerImpl::Current();
  if (sched != nullptr && sched->InFiber()) {
    const auto [lo, size] = sched->CurrentStack();
    const auto l = reinterpret_cast<uintptr_t>(lo);
    return {l, l + size};
  }
  return ThreadStack();
}

}  // namespace

[[gnu::noinline]] size_t stack_remaining() noexcept {
  const auto sp = reinterpret_cast<uintptr_t>(__builtin_frame_address(0));
  const Bounds b = CurrentStack();
  if (b.lo == 0 || sp < b.lo || sp >= b.hi) return SIZE_MAX;
  return sp - b.lo;
}

}  // namespace spindle::this_fiber
