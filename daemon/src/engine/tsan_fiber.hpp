// ThreadSanitizer fiber annotations for the engine's Boost.Context switches.
// TSan keeps one shadow call stack and one vector clock per "thread"; a
// fiber switch it is not told about mixes the fibers' call stacks and makes
// its reports nonsense. Each fiber gets a TSan fiber context; the scheduler
// announces each switch (with synchronisation: a switch on one thread orders
// everything before it against everything after it, which is what the
// engine's single-threaded scheduling relies on).
//
// Boost.Context's header-only entry and exit code (fiber_entry, fiber_exit,
// the record's run()) executes around the jumps, where no annotation can go:
// a new fiber's first frames are pushed while its starter's context is still
// current. So every context starts with kCushion placeholder frames, which
// that bounded imbalance eats into instead of running below the context's
// shadow stack; they show as "SchedulerImpl::Spawn" at the bottom of
// fiber stacks in TSan reports. A finished fiber's context is destroyed by
// the fiber that resumes after it (see SchedulerImpl::AfterSwitch).
//
// Everything here compiles to nothing without -fsanitize=thread.
// Thread contract: the scheduler thread only.
#pragma once

#if defined(__SANITIZE_THREAD__)
#include <sanitizer/tsan_interface.h>
extern "C" void __tsan_func_entry(void* call_pc);
#endif

namespace spindle::engine::tsan {

#if defined(__SANITIZE_THREAD__)
inline constexpr int kCushion = 16;

inline void* Current() noexcept { return __tsan_get_current_fiber(); }
inline void SwitchTo(void* fiber) noexcept { __tsan_switch_to_fiber(fiber, 0); }
inline void Destroy(void* fiber) noexcept { __tsan_destroy_fiber(fiber); }

// A new context with its cushion; the caller's context stays current.
[[gnu::noinline]] inline void* Create() noexcept {
  void* self = __tsan_get_current_fiber();
  void* fiber = __tsan_create_fiber(0);
  __tsan_switch_to_fiber(fiber, 0);
  for (int i = 0; i < kCushion; ++i) __tsan_func_entry(__builtin_return_address(0));
  __tsan_switch_to_fiber(self, 0);
  return fiber;
}
#else
inline void* Current() noexcept { return nullptr; }
inline void SwitchTo(void*) noexcept {}
inline void Destroy(void*) noexcept {}
inline void* Create() noexcept { return nullptr; }
#endif

}  // namespace spindle::engine::tsan
