// PostgreSQL failures that escape a handler, through the real nginx,
// spindled and PostgreSQL 15, with tests/server's test app mounted at /app
// and the app's `config.postgres` (AppContext::postgres_config): an
// unhandled pg::Unavailable (server down) or pg::Timeout (query_timeout)
// is a 503 with Retry-After and a log line naming the server (one a second
// per route, however many requests fail); a QueryError
// stays a 500; the client recovers when the server is back.
#include "daemon_harness.hpp"
#include "http_client.hpp"
#include "nginx_harness.hpp"
#include "pg_server.hpp"
#include "shared_stack.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>
#include <thread>

namespace spindle::test {
namespace {

using namespace std::chrono_literals;

struct PgEscapeStack {
  PgEscapeStack() {
    pg = std::make_unique<PgServer>();
    DaemonOptions d;
    d.yaml = "workers: 1\nlog:\n  level: debug\napps:\n  - name: test\n    path: " SPINDLE_TEST_APP
             "\n    mount: /app\n    config:\n      postgres: {conninfo: \"" + pg->conninfo() +
             "\", query_timeout: 300ms, reconnect_max: 100ms, pool_wait_timeout: 300ms}\n";
    daemon = std::make_unique<DaemonHarness>(d);
    NginxOptions n;
    n.vars["D"] = daemon->socket_path();
    n.server = "location / { spindle_pass unix:${D}; }";
    nginx = std::make_unique<NginxHarness>(n);
  }
  std::unique_ptr<PgServer> pg;
  std::unique_ptr<DaemonHarness> daemon;
  std::unique_ptr<NginxHarness> nginx;
};

class PgEscapeE2E : public SharedStackTest<PgEscapeStack> {
 protected:
  static HttpResponse Get(const std::string& target) {
    HttpClient c(stack_->nginx->port());
    HttpRequest req;
    req.target = target;
    return c.Send(req);
  }
  static DaemonHarness& daemon() { return *stack_->daemon; }
  static void WaitForPg() {
    HttpResponse r;
    for (auto deadline = std::chrono::steady_clock::now() + 15s;
         r.status != 200 && std::chrono::steady_clock::now() < deadline;
         std::this_thread::sleep_for(50ms)) {
      r = Get("/app/pg/get");
    }
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.body, "42");
  }
};

TEST_F(PgEscapeE2E, ServerDownIs503WithRetryAfterThenRecovers) {
  WaitForPg();
  stack_->pg->Stop();
  HttpResponse r = Get("/app/pg/get");
  EXPECT_EQ(r.status, 503) << r.body;
  EXPECT_EQ(r.Header("Retry-After"), "5");
  EXPECT_TRUE(daemon().WaitForLog("handler for route '/app/pg/get': postgres at '" +
                                  stack_->pg->dir()))
      << daemon().Log();
  // The outage is logged once a second per route, not once per request.
  const std::string line = "handler for route '/app/pg/get': postgres at";
  const size_t before = daemon().CountLog(line);
  const auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < 30; ++i) EXPECT_EQ(Get("/app/pg/get").status, 503);
  const auto took = std::chrono::steady_clock::now() - t0;
  std::this_thread::sleep_for(200ms);  // the log is written by the daemon
  const size_t logged = daemon().CountLog(line) - before;
  EXPECT_LE(logged, static_cast<size_t>(std::chrono::duration_cast<std::chrono::seconds>(took).count()) + 1)
      << logged << " lines for 30 requests in " << std::chrono::duration_cast<std::chrono::milliseconds>(took).count() << " ms";
  stack_->pg->Start();
  WaitForPg();
}

TEST_F(PgEscapeE2E, QueryTimeoutIs503AndTheConnectionIsNotStuck) {
  WaitForPg();
  const auto t0 = std::chrono::steady_clock::now();
  HttpResponse r = Get("/app/pg/slow");  // pg_sleep(2) > query_timeout 300 ms
  EXPECT_EQ(r.status, 503) << r.body;
  EXPECT_EQ(r.Header("Retry-After"), "5");
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 1500ms);
  // The sleep was cancelled on the server: the next query is answered now.
  const auto t1 = std::chrono::steady_clock::now();
  EXPECT_EQ(Get("/app/pg/get").status, 200);
  EXPECT_LT(std::chrono::steady_clock::now() - t1, 1s);
}

TEST_F(PgEscapeE2E, QueryErrorStays500) {
  WaitForPg();
  HttpResponse r = Get("/app/pg/error");
  EXPECT_EQ(r.status, 500) << r.body;
  EXPECT_FALSE(r.Header("Retry-After").has_value());
  EXPECT_TRUE(daemon().WaitForLog("handler for route '/app/pg/error' failed"));
  EXPECT_TRUE(daemon().WaitForLog("SQLSTATE 42703"));
}

}  // namespace
}  // namespace spindle::test
