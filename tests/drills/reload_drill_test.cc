// Drill 2: three SIGHUPs (reloads) to spindled's master under a keep-alive
// POST load through nginx (each request carries a 16 KiB body, echoed back
// as its length): not one request fails. nginx does not retry a POST that
// it has sent, so this holds only if the draining workers never close a
// connection nginx may be sending on.
#include "drill_support.hpp"

#include <signal.h>

namespace spindle::test::drills {
namespace {

TEST(Drills, ThreeReloadsUnderKeepAlivePostLoad) {
  Stack s(DrillYaml(2), "client_body_buffer_size 64k;\n", 2);
  LoadOptions lo;
  lo.http_port = s.port();
  lo.method = "POST";
  lo.uri = "/echo";
  lo.body = std::string(16 * 1024, 'b');
  lo.keep_alive = true;
  lo.threads = 6;
  lo.pause = 1ms;
  lo.timeout = 10s;
  const std::string expected = std::to_string(lo.body.size());
  lo.check = [expected](int, const std::string& body) { return body == expected; };
  LoadClient load(lo);
  load.Start();
  ASSERT_TRUE(load.WaitForMore(100, 20s)) << load.Counts().Summary() << load.Failures();

  Clock::time_point started = Clock::now();
  for (int generation = 2; generation <= 4; ++generation) {
    ASSERT_EQ(kill(s.daemon->pid(), SIGHUP), 0);
    ASSERT_TRUE(s.daemon->WaitForLog(
        "reload done, generation '" + std::to_string(generation) + "' serving", 20s))
        << s.daemon->Log();
    ASSERT_TRUE(load.WaitForMore(100, 20s)) << load.Counts().Summary() << load.Failures();
  }
  Clock::duration reloading = Clock::now() - started;
  load.Stop();

  LoadCounts total = load.Counts();
  Report("reload", "total", total);
  std::printf("[drill] reload: 3 reloads in %lld ms\n", Ms(reloading));
  EXPECT_EQ(total.failed(), 0u) << total.Summary() << "\n" << load.Failures()
                                << s.nginx->ErrorLog() << s.daemon->Log();
  EXPECT_EQ(total.finished(), total.sent);
  EXPECT_GE(total.ok, 400u);
}

}  // namespace
}  // namespace spindle::test::drills
