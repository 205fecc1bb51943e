// Drill 1: the only worker is SIGKILLed under keep-alive load through nginx.
// Only the requests in flight on it may fail (each load thread has at most
// one in flight, so the failures are bounded by the client's concurrency),
// and the master's replacement worker answers within 1 s of the kill
// (measured from the kill to the first 200 from a new pid through nginx).
// Meanwhile nginx's new upstream connections wait in the listen backlog the
// master keeps open, and its cached connections to the dead worker fail at
// once and are retried by nginx on a fresh one.
#include "drill_support.hpp"

#include <signal.h>

namespace spindle::test::drills {
namespace {

TEST(Drills, WorkerKilledUnderKeepAliveLoad) {
  Stack s(DrillYaml(1));
  LoadOptions lo;
  lo.http_port = s.port();
  lo.uri = "/sleep?ms=30";
  lo.keep_alive = true;
  lo.threads = 8;
  lo.pause = 0ms;
  lo.timeout = 10s;
  LoadClient load(lo);
  load.Start();
  ASSERT_TRUE(load.WaitForMore(200, 20s)) << load.Counts().Summary() << load.Failures();

  pid_t victim = s.daemon->WorkerPids().back();
  LoadCounts before = load.Counts();
  uint64_t in_flight = load.in_flight();
  Clock::time_point killed_at = Clock::now();
  ASSERT_EQ(kill(victim, SIGKILL), 0);

  // Probe on fresh client connections until a new worker answers.
  int probes = 0;
  std::optional<Clock::duration> replaced_after;
  while (Clock::now() - killed_at < 10s) {
    ++probes;
    auto r = TryGet(s.port(), "/pid");
    if (r && r->status == 200 && r->body != std::to_string(victim)) {
      replaced_after = Clock::now() - killed_at;
      break;
    }
    std::this_thread::sleep_for(5ms);
  }
  ASSERT_TRUE(load.WaitForMore(200, 20s)) << load.Counts().Summary() << load.Failures();
  load.Stop();

  LoadCounts total = load.Counts();
  Report("worker-kill", "before_kill", before);
  Report("worker-kill", "total", total);
  std::printf("[drill] worker-kill: killed worker %d with %llu requests in flight; "
              "replacement answered after %lld ms (%d probes)\n",
              victim, static_cast<unsigned long long>(in_flight),
              replaced_after ? Ms(*replaced_after) : -1LL, probes);
  EXPECT_EQ(before.failed(), 0u) << before.Summary();
  EXPECT_LE(total.failed(), static_cast<uint64_t>(lo.threads))
      << total.Summary() << "\n" << load.Failures() << s.nginx->ErrorLog();
  ASSERT_TRUE(replaced_after.has_value()) << s.daemon->Log();
  EXPECT_LT(*replaced_after, 1s) << Ms(*replaced_after) << " ms\n" << s.daemon->Log();
  EXPECT_NE(s.daemon->WorkerPids().back(), victim) << s.daemon->Log();
  EXPECT_FALSE(s.nginx->WorkerCrashed()) << s.nginx->ErrorLog();
}

}  // namespace
}  // namespace spindle::test::drills
