// Watchdog: a fiber that busy-loops past the threshold without yielding is
// reported exactly once per slice (log, observer, counter) with its name;
// the fiber is never interrupted.
#include <atomic>
#include <mutex>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include <spindle/fiber.hpp>
#include <spindle/scheduler.hpp>

#include "fiber_test.hpp"

namespace spindle::test {
namespace {

using std::chrono::milliseconds;

struct Reports {
  std::mutex mutex;
  std::vector<std::pair<std::string, milliseconds>> seen;
  std::atomic<int> count{0};
};

// Spins (no yield) for at least `at_least`, and until `reports` has reached
// `want` entries (bounded: 20 s), so the test does not depend on how quickly
// the watchdog thread gets a core on a loaded machine.
void BusyLoop(milliseconds at_least, Reports& reports, int want) {
  const Clock::time_point start = Clock::now();
  const Clock::time_point give_up = start + std::chrono::seconds(20);
  while (Clock::now() < start + at_least || (reports.count.load() < want && Clock::now() < give_up)) {
  }
}

TEST(Watchdog, ReportsOneSlowSlicePerSliceWithTheFiberName) {
  Reports reports;
  SchedulerOptions opts;
  opts.watchdog_threshold = milliseconds(50);
  opts.on_slow_slice = [&](std::string_view name, milliseconds ran) {
    std::lock_guard<std::mutex> lock(reports.mutex);
    reports.seen.emplace_back(std::string(name), ran);
    reports.count.fetch_add(1);
  };
  uint64_t slow = 0;
  spindle::test::RunInScheduler(
      [&] {
        Fiber hog = spawn([&] { BusyLoop(milliseconds(200), reports, 1); }, "GET /slow");
        hog.join();
        // A second slice of the same fiber name is a second report.
        Fiber again = spawn([&] { BusyLoop(milliseconds(200), reports, 2); }, "GET /slow2");
        again.join();
        slow = Scheduler::current()->slow_slices();
      },
      opts);
  ASSERT_EQ(reports.count.load(), 2);
  EXPECT_EQ(slow, 2u);  // one per slice, although each ran for 4+ thresholds
  EXPECT_EQ(reports.seen[0].first, "GET /slow");
  EXPECT_EQ(reports.seen[1].first, "GET /slow2");
  EXPECT_GE(reports.seen[0].second, milliseconds(50));
}

TEST(Watchdog, IdleSchedulerAndDisabledWatchdogReportNothing) {
  // An idle scheduler (parked in epoll) is not a slow fiber.
  Reports reports;
  SchedulerOptions opts;
  opts.watchdog_threshold = milliseconds(5);
  opts.on_slow_slice = [&](std::string_view, milliseconds) { reports.count.fetch_add(1); };
  spindle::test::RunInScheduler(
      [&] { (void)this_fiber::sleep_for(milliseconds(60)); }, opts);
  EXPECT_EQ(reports.count.load(), 0);

  SchedulerOptions off;
  off.watchdog_threshold = milliseconds(0);
  Scheduler s(off);
  s.run([] {
    const Clock::time_point until = Clock::now() + milliseconds(30);
    while (Clock::now() < until) {
    }
  });
  EXPECT_EQ(s.slow_slices(), 0u);
}

}  // namespace
}  // namespace spindle::test
