// What the server makes of what a handler does not handle, through the real
// nginx, spindled and redis-server, with tests/server's test app mounted at
// /app: an unhandled redis::Unavailable or redis::Timeout is a 503 with
// Retry-After (a ReplyError stays a 500); a Cancelled escaping a cancelled
// handler is not a handler failure; an exception rethrown after its catch
// block suspended is the one that was caught; and the bare mount /app
// redirects to /app/ with its query string (301 for GET/HEAD, 308 else).
#include "daemon_harness.hpp"
#include "http_client.hpp"
#include "nginx_harness.hpp"
#include "redis_server.hpp"
#include "shared_stack.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <memory>
#include <string>
#include <thread>

namespace spindle::test {
namespace {

using namespace std::chrono_literals;

struct EscapeStack {
  EscapeStack() {
    redis = std::make_unique<RedisServer>();
    DaemonOptions d;
    d.yaml = "workers: 1\nlog:\n  level: debug\napps:\n  - name: test\n    path: " SPINDLE_TEST_APP
             "\n    mount: /app\n    config:\n      redis: {address: \"" + redis->address() +
             "\", command_timeout: 200ms, reconnect_max: 100ms, pool_wait_timeout: 200ms}\n";
    daemon = std::make_unique<DaemonHarness>(d);
    NginxOptions n;
    n.vars["D"] = daemon->socket_path();
    n.server = "location / { spindle_pass unix:${D}; }";
    nginx = std::make_unique<NginxHarness>(n);
  }
  std::unique_ptr<RedisServer> redis;
  std::unique_ptr<DaemonHarness> daemon;
  std::unique_ptr<NginxHarness> nginx;
};

class EscapeE2E : public SharedStackTest<EscapeStack> {
 protected:
  static HttpResponse Send(const std::string& method, const std::string& target,
                           const std::string& body = {}) {
    HttpClient c(stack_->nginx->port());
    HttpRequest req;
    req.method = method;
    req.target = target;
    req.body = body;
    return c.Send(req);
  }
  static HttpResponse Get(const std::string& target) { return Send("GET", target); }
  static DaemonHarness& daemon() { return *stack_->daemon; }
  static nlohmann::json Stats() { return nlohmann::json::parse(Get("/app/stats").body); }
  // Redis answers again (the client reconnects with its back-off).
  static void WaitForRedis() {
    int status = 0;
    for (auto deadline = std::chrono::steady_clock::now() + 10s;
         status != 200 && std::chrono::steady_clock::now() < deadline;
         std::this_thread::sleep_for(50ms)) {
      status = Get("/app/redis/get").status;
    }
    ASSERT_EQ(status, 200);
  }
};

TEST_F(EscapeE2E, RedisDownIs503WithRetryAfter) {
  WaitForRedis();
  uint64_t errors = Stats()["handler_errors"];
  stack_->redis->Stop();
  HttpResponse r = Get("/app/redis/get");
  stack_->redis->Start();
  EXPECT_EQ(r.status, 503) << r.body;
  EXPECT_EQ(r.Header("Retry-After"), "5");
  EXPECT_EQ(r.body, "Service Unavailable\n");
  EXPECT_TRUE(daemon().WaitForLog("handler for route '/app/redis/get': redis at '" +
                                  stack_->redis->address() + "' failed"))
      << daemon().Log();
  EXPECT_EQ(Stats()["handler_errors"], errors);  // not a handler failure
  WaitForRedis();
}

TEST_F(EscapeE2E, RedisTimeoutIs503WithRetryAfter) {
  WaitForRedis();
  HttpResponse r = Get("/app/redis/slow");  // DEBUG SLEEP 1 > command_timeout 200 ms
  EXPECT_EQ(r.status, 503) << r.body;
  EXPECT_EQ(r.Header("Retry-After"), "5");
  WaitForRedis();
}

TEST_F(EscapeE2E, RedisReplyErrorStays500) {
  WaitForRedis();
  HttpResponse r = Get("/app/redis/reply-error");
  EXPECT_EQ(r.status, 500) << r.body;
  EXPECT_FALSE(r.Header("Retry-After").has_value());
  EXPECT_TRUE(daemon().WaitForLog("handler for route '/app/redis/reply-error' failed"));
}

TEST_F(EscapeE2E, CancelledEscapingACancelledHandlerIsNotAFailure) {
  uint64_t errors = Stats()["handler_errors"];
  uint64_t cancelled = Stats()["cancelled"];
  size_t waiting = daemon().CountLog("test-app: cancel-sleep waiting");
  {
    HttpClient c(stack_->nginx->port());
    HttpRequest req;
    req.target = "/app/cancel-sleep?ms=30000";
    c.SendRequest(req);
    ASSERT_TRUE(daemon().WaitForLog("test-app: cancel-sleep waiting", 5s, waiting + 1));
  }  // closes the client connection: nginx aborts, the handler is cancelled
  nlohmann::json stats;
  for (auto deadline = std::chrono::steady_clock::now() + 10s;
       std::chrono::steady_clock::now() < deadline; std::this_thread::sleep_for(20ms)) {
    stats = Stats();
    if (stats["cancelled"] > cancelled && stats["inflight"] == 1) break;  // 1: /stats itself
  }
  EXPECT_GT(stats["cancelled"], cancelled);
  EXPECT_EQ(stats["handler_errors"], errors);
  EXPECT_EQ(daemon().CountLog("handler for route '/app/cancel-sleep' failed"), 0u)
      << daemon().Log();
  EXPECT_EQ(daemon().CountLog("fiber 'GET /app/cancel-sleep' ended by an exception"), 0u);
}

TEST_F(EscapeE2E, AnExceptionRethrownAfterSuspendingInItsCatchBlockIsTheCaughtOne) {
  HttpResponse r = Get("/app/rethrow-after-sleep");
  EXPECT_EQ(r.status, 500);
  EXPECT_TRUE(daemon().WaitForLog(
      "handler for route '/app/rethrow-after-sleep' failed: 'rethrown after a sleep'"))
      << daemon().Log();
}

TEST_F(EscapeE2E, TheBareMountRedirectsToItsSlashWithTheQuery) {
  HttpResponse get = Get("/app");
  EXPECT_EQ(get.status, 301);
  EXPECT_EQ(get.Header("Location"), "/app/");
  HttpResponse query = Get("/app?room=a%20b&x=1");
  EXPECT_EQ(query.status, 301);
  EXPECT_EQ(query.Header("Location"), "/app/?room=a%20b&x=1");
  {
    HttpClient c(stack_->nginx->port());
    HttpRequest req;
    req.method = "HEAD";
    req.target = "/app";
    c.SendRequest(req);
    HttpResponse head = c.ReadResponse(true);
    EXPECT_EQ(head.status, 301);
    EXPECT_EQ(head.Header("Location"), "/app/");
  }
  // Other methods get 308: the client repeats the method and the body.
  HttpResponse post = Send("POST", "/app?x=1", "a body");
  EXPECT_EQ(post.status, 308);
  EXPECT_EQ(post.Header("Location"), "/app/?x=1");
  EXPECT_EQ(Send("DELETE", "/app").status, 308);
  // Only the mount itself: a longer name and paths below stay 404.
  EXPECT_EQ(Get("/apple").status, 404);
  EXPECT_EQ(Get("/app/nothing-here").status, 404);
  EXPECT_EQ(Get("/app/users/7").body, "user 7");
}

}  // namespace
}  // namespace spindle::test
