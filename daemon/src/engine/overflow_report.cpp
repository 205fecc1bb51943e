// overflow_report.cpp: see overflow_report.hpp. Everything in the handler is
// async-signal-safe: no allocation, no locks, no stdio, only write(2).
#include "engine/overflow_report.hpp"

#include "engine/fiber_context.hpp"
#include "engine/scheduler_impl.hpp"
#include "engine/stack_pool.hpp"

#include <signal.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <mutex>

namespace spindle::engine {
namespace {

constexpr size_t kAltStackSize = 64 * 1024;
// A frame can skip the one guard page: a fault this far below the stack
// still counts as running off it.
constexpr uintptr_t kBelowStackSlack = 256 * 1024;

// What was installed before us (a sanitizer's, a test's): it runs after our
// line, when the faulting instruction runs again.
struct sigaction g_previous_segv, g_previous_bus;

void Put(const char* s, size_t n) {
  while (n > 0) {
    ssize_t w = ::write(STDERR_FILENO, s, n);
    if (w <= 0) return;
    s += w;
    n -= static_cast<size_t>(w);
  }
}
void Put(const char* s) { Put(s, std::strlen(s)); }

void PutNumber(uintptr_t v) {
  char digits[24];
  int n = 0;
  do {
    digits[n++] = static_cast<char>('0' + v % 10);
    v /= 10;
  } while (v > 0 && n < 24);
  char out[24];
  for (int i = 0; i < n; ++i) out[i] = digits[n - 1 - i];
  Put(out, static_cast<size_t>(n));
}

void OnFault(int sig, siginfo_t* info, void*) {
  SchedulerImpl* s = SchedulerImpl::Current();
  const FiberContext* fc = s ? s->Running() : nullptr;
  if (fc && !fc->is_dispatcher && fc->stack_lo) {
    auto lo = reinterpret_cast<uintptr_t>(fc->stack_lo);
    auto addr = reinterpret_cast<uintptr_t>(info->si_addr);
    bool overflow = addr < lo && lo - addr <= kBelowStackSlack;
    Put(overflow ? "spindled: fatal: stack overflow in fiber '" : "spindled: fatal: signal ");
    if (!overflow) {
      PutNumber(static_cast<uintptr_t>(sig));
      Put(" in fiber '");
    }
    // The name is only written by this thread, which is here.
    Put(fc->name.data(), fc->name.size());
    Put("' (stack_size ");
    PutNumber(fc->stack_size);
    Put(overflow ? " bytes: raise stack_size, or move the deep recursion off the fiber)\n"
                 : " bytes)\n");
  }
  // Hand over to the previous handler, or to the default action: the
  // worker dies and the master respawns it.
  sigaction(sig, sig == SIGSEGV ? &g_previous_segv : &g_previous_bus, nullptr);
}

void InstallHandler() {
  struct sigaction sa;
  std::memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = OnFault;
  sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGSEGV, &sa, &g_previous_segv);
  sigaction(SIGBUS, &sa, &g_previous_bus);
}

}  // namespace

// This thread's alternate signal stack, if we made it (freed, and
// unregistered first, when the thread ends).
struct AltStack {
  void* mem = nullptr;
  bool checked = false;
  ~AltStack() {
    if (!mem) return;
    stack_t off{};
    off.ss_flags = SS_DISABLE;
    sigaltstack(&off, nullptr);
    std::free(mem);
  }
};

void InstallOverflowReport() noexcept {
  static thread_local AltStack alt;
  if (!alt.checked) {
    alt.checked = true;
    // Keep one that is already there (a sanitizer's): it owns and frees it.
    stack_t current{};
    bool have = sigaltstack(nullptr, &current) == 0 && !(current.ss_flags & SS_DISABLE);
    if (!have && (alt.mem = std::malloc(kAltStackSize)) != nullptr) {
      stack_t ss{};
      ss.ss_sp = alt.mem;
      ss.ss_size = kAltStackSize;
      if (sigaltstack(&ss, nullptr) != 0) {
        std::free(alt.mem);
        alt.mem = nullptr;
      }
    }
  }
  static std::once_flag once;
  std::call_once(once, InstallHandler);
}

}  // namespace spindle::engine
