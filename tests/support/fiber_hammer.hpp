// Hammer: many fibers calling one function in a loop for a while, counting
// the calls, the failures (any std::exception; the first message kept) and
// the slowest call. The clients' "callers waiting for room are served in
// order" tests use it (tests/redis, tests/pg).
// Fiber contract: runs in a fiber (spawns `fibers` fibers of the running
// scheduler and joins them). Header-only.
#pragma once

#include <algorithm>
#include <exception>
#include <functional>
#include <string>

#include <spindle/fiber.hpp>
#include <spindle/sync.hpp>

namespace spindle::test {

struct HammerResult {
  long calls = 0;
  long errors = 0;
  std::string first_error;
  Clock::duration worst{};
};

inline HammerResult Hammer(int fibers, Clock::duration run_for, const std::function<void()>& call) {
  HammerResult r;
  WaitGroup wg;
  const auto stop = Clock::now() + run_for;
  for (int f = 0; f < fibers; ++f) {
    wg.add();
    spawn([&] {
      while (Clock::now() < stop) {
        const auto t0 = Clock::now();
        try {
          call();
          ++r.calls;
        } catch (const std::exception& e) {
          if (r.errors++ == 0) r.first_error = e.what();
        }
        r.worst = std::max(r.worst, Clock::now() - t0);
      }
      wg.done();
    });
  }
  wg.wait();
  return r;
}

}  // namespace spindle::test
