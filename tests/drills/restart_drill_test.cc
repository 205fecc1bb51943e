// Drill 3: a full daemon restart on an inherited socket, under keep-alive
// load through nginx. The test holds the listening socket the way
// spindled.socket does and starts each daemon the way systemd does (fd 3,
// LISTEN_FDS, LISTEN_PID, NOTIFY_SOCKET); the first daemon stops gracefully
// (SIGTERM), nothing runs for 300 ms, then the second starts. nginx's new
// connections wait in the socket's backlog meanwhile, and nginx may retry a
// request on a cached connection the old daemon closed: the client sees no
// error at all.
#include "activated_daemon_test.hpp"
#include "drill_support.hpp"

#include <signal.h>
#include <unistd.h>

namespace spindle::test::drills {
namespace {

class RestartDrill : public ActivatedDaemonTest {
 protected:
  std::string ConfigYaml() const override { return DrillYaml(2); }
};

TEST_F(RestartDrill, RestartOnInheritedSocketUnderLoadLosesNothing) {
  pid_t first = Start("a.log");
  NginxOptions n;
  n.http = Upstream(sock_);
  n.server = "location / { spindle_pass d; }\n";
  NginxHarness nginx(n);

  LoadOptions lo;
  lo.http_port = nginx.port();
  lo.uri = "/sleep?ms=20";
  lo.keep_alive = true;
  lo.threads = 6;
  lo.pause = 1ms;
  lo.timeout = 15s;
  LoadClient load(lo);
  load.Start();
  ASSERT_TRUE(load.WaitForMore(100, 20s)) << load.Counts().Summary() << load.Failures();

  Clock::time_point stop_at = Clock::now();
  StopGracefully(first, "a.log");
  std::this_thread::sleep_for(300ms);  // no daemon at all
  LoadCounts gap = load.Counts();
  pid_t second = Start("b.log");
  Clock::duration down = Clock::now() - stop_at;
  ASSERT_TRUE(load.WaitForMore(100, 20s)) << load.Counts().Summary() << load.Failures();
  load.Stop();

  LoadCounts total = load.Counts();
  Report("restart", "total", total);
  std::printf("[drill] restart: old daemon stopped to new one ready in %lld ms\n", Ms(down));
  EXPECT_EQ(total.failed(), 0u) << total.Summary() << "\n" << load.Failures()
                                << nginx.ErrorLog() << Log("a.log")
                                << Log("b.log");
  EXPECT_EQ(total.finished(), total.sent);
  EXPECT_GT(total.ok, gap.ok + 50);
  StopGracefully(second, "b.log");
  ExpectCleanDaemonLog(Log("a.log"));
  ExpectCleanDaemonLog(Log("b.log"));
}

}  // namespace
}  // namespace spindle::test::drills
