// Drill 5: the daemon stops reading: its only worker is SIGSTOPped for
// 2.5 s under load through nginx, with spindle_read_timeout and
// spindle_send_timeout set to 1 s. nginx answers every request caught by
// the stop with 504 once a timeout passes (GETs wait for the answer: read
// timeout; 1 MiB POST bodies fill the socket: send timeout), nothing hangs
// (no client ever times out, no connection is dropped without an answer),
// and after SIGCONT the worker serves again: 200s only.
#include "drill_support.hpp"

#include <signal.h>

namespace spindle::test::drills {
namespace {

TEST(Drills, StoppedDaemonGets504sThenResumes) {
  Stack s(DrillYaml(1),
          "spindle_read_timeout 1s;\n"
          "spindle_send_timeout 1s;\n"
          "spindle_connect_timeout 1s;\n"
          "client_max_body_size 4m;\n");

  LoadOptions get;
  get.http_port = s.port();
  get.uri = "/sleep?ms=5";
  get.keep_alive = true;
  get.threads = 4;
  get.pause = 2ms;
  get.timeout = 10s;
  LoadOptions post = get;
  post.method = "POST";
  post.uri = "/echo";
  post.body = std::string(1024 * 1024, 'p');
  post.threads = 2;
  const std::string expected = std::to_string(post.body.size());
  post.check = [expected](int, const std::string& body) { return body == expected; };
  LoadClient gets(get), posts(post);
  gets.Start();
  posts.Start();
  ASSERT_TRUE(gets.WaitForMore(100, 20s)) << gets.Counts().Summary() << gets.Failures();
  ASSERT_TRUE(posts.WaitForMore(10, 20s)) << posts.Counts().Summary() << posts.Failures();

  pid_t worker = s.daemon->WorkerPids().back();
  LoadCounts gets_before = gets.Counts(), posts_before = posts.Counts();
  ASSERT_EQ(kill(worker, SIGSTOP), 0);
  std::this_thread::sleep_for(2500ms);
  LoadCounts gets_stopped = gets.Counts() - gets_before;
  LoadCounts posts_stopped = posts.Counts() - posts_before;
  ASSERT_EQ(kill(worker, SIGCONT), 0);
  Clock::time_point resumed_at = Clock::now();

  // Resumed: a 300 ms window in which both loads succeed and nothing fails.
  std::optional<Clock::duration> resumed_after;
  LoadCounts g0 = gets.Counts(), p0 = posts.Counts();
  while (Clock::now() - resumed_at < 15s) {
    std::this_thread::sleep_for(300ms);
    LoadCounts g1 = gets.Counts(), p1 = posts.Counts();
    LoadCounts gw = g1 - g0, pw = p1 - p0;
    if (gw.ok > 0 && pw.ok > 0 && gw.failed() == 0 && pw.failed() == 0) {
      resumed_after = Clock::now() - resumed_at;
      break;
    }
    g0 = g1;
    p0 = p1;
  }
  LoadCounts gets_resumed = gets.Counts(), posts_resumed = posts.Counts();
  ASSERT_TRUE(gets.WaitForMore(100, 20s)) << gets.Counts().Summary() << gets.Failures();
  ASSERT_TRUE(posts.WaitForMore(5, 20s)) << posts.Counts().Summary() << posts.Failures();
  gets.Stop();
  posts.Stop();
  LoadCounts gets_total = gets.Counts(), posts_total = posts.Counts();

  Report("stopped-daemon", "get_while_stopped", gets_stopped);
  Report("stopped-daemon", "post_while_stopped", posts_stopped);
  Report("stopped-daemon", "get_total", gets_total);
  Report("stopped-daemon", "post_total", posts_total);
  std::printf("[drill] stopped-daemon: service resumed %lld ms after SIGCONT\n",
              resumed_after ? Ms(*resumed_after) : -1LL);

  for (const LoadCounts* c : {&gets_total, &posts_total}) {
    // Every request got an HTTP answer: 2xx or nginx's 504, nothing else.
    EXPECT_EQ(c->connect_failed + c->reset + c->timeout + c->bad, 0u) << c->Summary();
    EXPECT_EQ(c->finished(), c->sent) << c->Summary();
    uint64_t g504 = c->status.count(504) ? c->status.at(504) : 0;
    EXPECT_EQ(c->non_2xx(), g504) << c->Summary();
    // 504 after the 1 s timeout, not after the client gave up.
    if (g504 > 0) {
      EXPECT_LT(c->max_latency.at(504), std::chrono::microseconds(5s)) << c->Summary();
    }
  }
  EXPECT_GT(gets_stopped.status[504], 0u) << gets_stopped.Summary();
  EXPECT_GT(posts_stopped.status[504], 0u) << posts_stopped.Summary();
  ASSERT_TRUE(resumed_after.has_value()) << gets.Counts().Summary() << s.daemon->Log();
  EXPECT_EQ((gets_total - gets_resumed).failed(), 0u);
  EXPECT_EQ((posts_total - posts_resumed).failed(), 0u);
  // Both timeouts did it: the GETs waited for an answer, the POST bodies
  // could not be written into the full socket.
  std::string log = s.nginx->ErrorLog();
  EXPECT_NE(log.find("upstream timed out (110: Connection timed out) while reading response "
                     "header from upstream"),
            std::string::npos)
      << log;
  EXPECT_NE(log.find("upstream timed out (110: Connection timed out) while sending request to "
                     "upstream"),
            std::string::npos)
      << log;
  EXPECT_TRUE(s.daemon->running());
  EXPECT_EQ(s.daemon->WorkerPids().back(), worker) << s.daemon->Log();
}

}  // namespace
}  // namespace spindle::test::drills
