// The lead's part of the app author's toolkit through the real spindled
// (tests/app/toolkit_app.cpp, driven over the wire protocol as nginx would):
// the request's context, deadline inheritance by Redis and PostgreSQL
// calls (against real servers), middleware, redirects, the drain ending
// long polls and event streams, event framing and heartbeats, shutdown
// hooks. tests/e2e covers the same through nginx.
#include "daemon_harness.hpp"
#include "frame_client.hpp"
#include "pg_server.hpp"
#include "redis_server.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <signal.h>
#include <sys/wait.h>

#include <future>
#include <thread>

namespace spindle::test {
namespace {

using namespace std::chrono_literals;

std::string AppYaml(const std::string& top = "", const std::string& app_config = "") {
  return "workers: 1\n" + top + "apps:\n  - name: toolkit\n    path: " SPINDLE_TOOLKIT_APP
         "\n    mount: /t\n" + (app_config.empty() ? "" : "    config:\n" + app_config);
}

DaemonOptions Options(const std::string& yaml) {
  DaemonOptions o;
  o.yaml = yaml;
  return o;
}

TEST(ToolkitContext, AddressSchemeHostAndMultiValues) {
  DaemonHarness d(Options(AppYaml()));
  FrameClient c(d.socket_path());
  c.remote_addr = "203.0.113.7";
  c.scheme = "https";
  c.host = "shop.example";
  FrameResponse r = c.Request("GET", "/t/context?tag=a&x=1&tag=b%20c&tag=", {},
                              {{"X-Multi", "1"}, {"x-multi", "2"}, {"Other", "3"},
                               {"Cookie", "a=1; theme=\"dark\""}, {"Cookie", "theme=light"}});
  ASSERT_EQ(r.status, 200) << r.body;
  nlohmann::json j = nlohmann::json::parse(r.body);
  EXPECT_EQ(j["remote_addr"], "203.0.113.7");
  EXPECT_EQ(j["scheme"], "https");
  EXPECT_EQ(j["host"], "shop.example");
  EXPECT_EQ(j["tags"], (nlohmann::json{"a", "b c", ""}));
  EXPECT_EQ(j["multi"], (nlohmann::json{"1", "2"}));
  EXPECT_EQ(j["deadline_ms"], -1);  // request_timeout 0: none
  EXPECT_EQ(j["theme"], "dark");    // quotes stripped, the first one wins
  // The next request on the connection carries its own values.
  c.remote_addr = "unix:";
  r = c.Request("GET", "/t/context");
  j = nlohmann::json::parse(r.body);
  EXPECT_EQ(j["remote_addr"], "unix:");
  EXPECT_EQ(j["tags"], nlohmann::json::array());
  EXPECT_EQ(j["theme"], "-");
}

TEST(ToolkitContext, DeadlineIsTheRequestTimeout) {
  DaemonHarness d(Options(AppYaml("request_timeout: 3s\n")));
  FrameClient c(d.socket_path());
  FrameResponse r = c.Request("GET", "/t/context");
  long long left = nlohmann::json::parse(r.body)["deadline_ms"];
  EXPECT_GT(left, 2500);
  EXPECT_LE(left, 3000);
}

TEST(ToolkitDeadline, RedisCallsInheritTheRequestDeadline) {
  RedisServer redis;
  DaemonHarness d(Options(AppYaml(
      "", "      redis: {address: \"" + redis.address() + "\", command_timeout: 10s}\n")));
  FrameClient c(d.socket_path());
  auto t0 = std::chrono::steady_clock::now();
  FrameResponse r = c.Request("GET", "/t/deadline/redis?ms=200");
  auto took = std::chrono::steady_clock::now() - t0;
  EXPECT_EQ(r.status, 503) << r.body;
  EXPECT_GE(took, 180ms);
  EXPECT_LT(took, 1500ms);  // not BLPOP's 5 s, nor command_timeout's 10 s
  // Through request_timeout, without set_deadline: the same.
  DaemonHarness d2(Options(AppYaml(
      "request_timeout: 400ms\n",
      "      redis: {address: \"" + redis.address() + "\", command_timeout: 10s}\n")));
  FrameClient c2(d2.socket_path());
  t0 = std::chrono::steady_clock::now();
  r = c2.Request("GET", "/t/deadline/redis");
  took = std::chrono::steady_clock::now() - t0;
  EXPECT_TRUE(r.status == 503 || r.status == 504) << r.status;
  EXPECT_LT(took, 1500ms);
}

TEST(ToolkitDeadline, PostgresCallsInheritTheRequestDeadline) {
  PgServer pg;
  DaemonHarness d(Options(AppYaml(
      "", "      postgres: {conninfo: \"" + pg.conninfo() + "\", query_timeout: 10s}\n")));
  FrameClient c(d.socket_path());
  auto t0 = std::chrono::steady_clock::now();
  FrameResponse r = c.Request("GET", "/t/deadline/pg?ms=300");
  auto took = std::chrono::steady_clock::now() - t0;
  EXPECT_EQ(r.status, 503) << r.body;
  EXPECT_GE(took, 280ms);
  EXPECT_LT(took, 2000ms);
  // The statement was cancelled on the server: nothing still sleeps there.
  bool sleeping = true;
  for (int i = 0; i < 50 && sleeping; ++i) {
    sleeping = pg.Query("SELECT count(*) FROM pg_stat_activity "
                        "WHERE state = 'active' AND query LIKE 'SELECT pg_sleep%'") != "0";
    if (sleeping) std::this_thread::sleep_for(50ms);
  }
  EXPECT_FALSE(sleeping);
}

TEST(ToolkitHooks, OrderShortCircuitsAndHeaders) {
  DaemonHarness d(Options(AppYaml()));
  FrameClient c(d.socket_path());
  FrameResponse r = c.Request("GET", "/t/hooks/open", {}, {{"X-Seq", "7"}});
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "open");
  EXPECT_EQ(r.Header("X-Request-Id"), "req-7");
  EXPECT_EQ(c.Request("GET", "/t/hooks/trace").body, "A1,R1,R2,H,R3(sent),A2:200");

  r = c.Request("GET", "/t/hooks/private");
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(r.body, "who are you?");
  EXPECT_EQ(c.Request("GET", "/t/hooks/trace").body, "A1,AUTH,A2:401");  // R2, H skipped
  r = c.Request("GET", "/t/hooks/private", {}, {{"X-Token", "t"}});
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "secret");
  EXPECT_EQ(c.Request("GET", "/t/hooks/trace").body, "A1,AUTH,R2,H,A2:200");

  r = c.Request("GET", "/t/hooks/forbidden");
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(r.body, "hook says no\n");
  // The app-wide hooks ran for /hooks/trace too (registered before it).
  EXPECT_EQ(c.Request("GET", "/t/hooks/trace").body, "A1,A2:200");
}

TEST(ToolkitRedirect, StatusLocationAndRefusals) {
  DaemonHarness d(Options(AppYaml()));
  FrameClient c(d.socket_path());
  FrameResponse r = c.Request("GET", "/t/redirect?to=%2Fchat%2F&status=303");
  EXPECT_EQ(r.status, 303);
  EXPECT_EQ(r.Header("Location"), "/chat/");
  EXPECT_EQ(r.body, "see /chat/\n");
  r = c.Request("GET", "/t/redirect?to=https%3A%2F%2Fexample.com%2Fx");
  EXPECT_EQ(r.status, 302);
  EXPECT_EQ(r.Header("Location"), "https://example.com/x");
  EXPECT_EQ(c.Request("GET", "/t/redirect?to=%2Fx&status=200").status, 500);
  EXPECT_EQ(c.Request("GET", "/t/redirect?to=").status, 500);
  // A CR LF in the location would split the response: refused.
  r = c.Request("GET", "/t/redirect?to=%2Fx%0D%0ASet-Cookie:%20a=b");
  EXPECT_EQ(r.status, 500);
  EXPECT_FALSE(r.Header("Set-Cookie"));
}

// SSE lines of a body, for comparing.
TEST(ToolkitSse, FramingHeadersLastEventIdAndHeartbeats) {
  DaemonHarness d(Options(AppYaml()));
  FrameClient c(d.socket_path());
  FrameResponse r = c.Request("GET", "/t/sse?count=2&wait_ms=350&heartbeat_ms=100&retry_ms=2500",
                              {}, {{"Last-Event-ID", "41"}});
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.Header("Content-Type"), "text/event-stream");
  EXPECT_EQ(r.Header("X-Accel-Buffering"), "no");
  EXPECT_EQ(r.Header("Cache-Control"), "no-store");
  const std::string head =
      "retry: 2500\n\n"
      "event: resume\ndata: 41\n\n"
      "id: 1\ndata: line one of 1\ndata: line two of 1\n\n"
      "id: 2\ndata: line one of 2\ndata: line two of 2\n\n";
  ASSERT_EQ(r.body.substr(0, head.size()), head);
  std::string rest = r.body.substr(head.size());
  const std::string end = "event: end\ndata: timeout\n\n";
  ASSERT_GE(rest.size(), end.size());
  EXPECT_EQ(rest.substr(rest.size() - end.size()), end);
  std::string beats = rest.substr(0, rest.size() - end.size());
  size_t n = 0;
  for (size_t p = 0; (p = beats.find(":\n\n", p)) != std::string::npos; p += 3) ++n;
  EXPECT_EQ(beats.size(), n * 3) << beats;  // nothing but heartbeats in between
  EXPECT_GE(n, 2u);
  EXPECT_LE(n, 4u);
  // Each event went out in its own flush: the head frame came alone first.
  EXPECT_GE(r.chunks.size(), 4u);
}

TEST(ToolkitDrain, StopEndsLongPollsAndStreamsAtOnce) {
  DaemonOptions o = Options(AppYaml("drain_timeout: 20s\n"));
  DaemonHarness d(o);
  FrameClient poll(d.socket_path());
  poll.SendHead("GET", "/t/drain/poll?ms=30000");
  poll.SendEnd();
  FrameClient sse(d.socket_path());
  sse.SendHead("GET", "/t/sse?wait_ms=30000");
  sse.SendEnd();
  std::this_thread::sleep_for(300ms);  // both are waiting
  auto t0 = std::chrono::steady_clock::now();
  auto stopped = std::async(std::launch::async, [&d] { return d.Stop(); });
  FrameResponse p = poll.ReadResponse();
  FrameResponse s = sse.ReadResponse();
  int status = stopped.get();
  auto took = std::chrono::steady_clock::now() - t0;
  EXPECT_EQ(p.status, 200);
  EXPECT_EQ(p.body, "drained");
  EXPECT_TRUE(s.ended);
  EXPECT_NE(s.body.find("event: end\ndata: drained\n\n"), std::string::npos) << s.body;
  EXPECT_LT(took, 3s);  // not drain_timeout's 20 s
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << d.Log();
  // The shutdown hooks ran after the drain, the app's last first; the one
  // that threw was logged and did not stop the other.
  std::string log = d.Log();
  size_t two = log.find("toolkit shutdown hook 2 of 'toolkit' ran");
  size_t one = log.find("toolkit shutdown hook 1 of 'toolkit' ran");
  ASSERT_NE(two, std::string::npos) << log;
  ASSERT_NE(one, std::string::npos) << log;
  EXPECT_LT(two, one);
  EXPECT_NE(log.find("app 'toolkit': shutdown hook failed: 'hook 2 fails on purpose'"),
            std::string::npos);
}

TEST(ToolkitDrain, APollThatEndsBeforeTheDrainIsNotDisturbed) {
  DaemonHarness d(Options(AppYaml()));
  FrameClient c(d.socket_path());
  FrameResponse r = c.Request("GET", "/t/drain/poll?ms=50");
  EXPECT_EQ(r.body, "timeout");
  r = c.Request("GET", "/t/sse?wait_ms=50");
  EXPECT_NE(r.body.find("event: end\ndata: timeout\n\n"), std::string::npos);
}

}  // namespace
}  // namespace spindle::test
