// CpuRelax: the spin-wait hint (x86 PAUSE, arm64 YIELD) for the short polls
// of the offload pool and the dispatcher. Any thread.
#pragma once

namespace spindle::engine {

inline void CpuRelax() noexcept {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield");
#endif
}

}  // namespace spindle::engine
