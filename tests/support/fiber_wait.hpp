// Bounded polling for tests whose conditions settle asynchronously (a
// client reconnecting, a notification arriving), and the running
// scheduler's live fiber count (for "nothing leaked" checks).
// Fiber contract: WaitUntil sleeps the calling fiber (must run in one);
// FibersAlive runs on a scheduler thread. Header-only.
#pragma once

#include <chrono>
#include <functional>

#include <spindle/fiber.hpp>
#include <spindle/scheduler.hpp>

namespace spindle::test {

// Polls cond every 5 ms until it holds or `limit` passes.
inline bool WaitUntil(const std::function<bool()>& cond,
                      std::chrono::milliseconds limit = std::chrono::milliseconds(10000)) {
  const auto give_up = Clock::now() + limit;
  while (!cond()) {
    if (Clock::now() >= give_up) return false;
    this_fiber::sleep_for(std::chrono::milliseconds(5));
  }
  return true;
}

inline size_t FibersAlive() { return Scheduler::current()->fibers_alive(); }

}  // namespace spindle::test
