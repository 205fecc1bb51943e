// Deadlines and wait results: every blocking engine call takes a Deadline and
// reports why its wait ended as a WaitStatus. Plain values; no thread or fiber
// contract (safe to use anywhere, never suspends).
#pragma once

#include <chrono>

namespace spindle {

using Clock = std::chrono::steady_clock;

// Why a wait ended: the awaited event happened (kOk), the deadline passed
// (kTimeout), or the waiting fiber was cancelled (kCancelled).
enum class WaitStatus { kOk, kTimeout, kCancelled };

// A point on the steady clock, or "never". `*_for` calls forward to `*_until`
// with Deadline::after(duration).
class Deadline {
 public:
  constexpr Deadline() noexcept : tp_(Clock::time_point::max()) {}

  static constexpr Deadline never() noexcept { return Deadline(); }
  static Deadline after(Clock::duration d) noexcept {
    const Clock::time_point now = Clock::now();
    if (d >= Clock::time_point::max() - now) return never();
    return Deadline(now + d);
  }
  static constexpr Deadline at(Clock::time_point tp) noexcept { return Deadline(tp); }
  static constexpr Deadline earliest(Deadline a, Deadline b) noexcept {
    return a.tp_ < b.tp_ ? a : b;
  }

  bool passed() const noexcept { return !is_never() && Clock::now() >= tp_; }
  constexpr Clock::time_point time_point() const noexcept { return tp_; }
  constexpr bool is_never() const noexcept { return tp_ == Clock::time_point::max(); }

  friend constexpr bool operator==(Deadline a, Deadline b) noexcept { return a.tp_ == b.tp_; }

 private:
  constexpr explicit Deadline(Clock::time_point tp) noexcept : tp_(tp) {}
  Clock::time_point tp_;
};

}  // namespace spindle
