// Response heads from apps, through the real nginx: a head over
// limits.max_response_head_size, or a header that would split the response,
// is a 500 from the daemon with a log line naming the cause, never a 502
// from nginx ("upstream sent too big response head"), and never marks the
// daemon down: two daemons share one upstream with max_fails=1.
#include "daemon_harness.hpp"
#include "http_client.hpp"
#include "nginx_harness.hpp"
#include "shared_stack.hpp"
#include "test_app_yaml.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>
#include <thread>

namespace spindle::test {
namespace {

struct HeadStack {
  HeadStack() {
    DaemonOptions d;
    d.yaml = TestAppYaml("");  // the default limit (4k)
    a = std::make_unique<DaemonHarness>(d);
    b = std::make_unique<DaemonHarness>(d);
    DaemonOptions big;
    big.yaml = TestAppYaml("limits:\n  max_response_head_size: 32k\n");
    wide = std::make_unique<DaemonHarness>(big);
    NginxOptions n;
    n.vars["A"] = a->socket_path();
    n.vars["B"] = b->socket_path();
    n.vars["W"] = wide->socket_path();
    n.http = R"(upstream pair {
        server unix:${A} max_fails=1 fail_timeout=30s;
        server unix:${B} max_fails=1 fail_timeout=30s;
        keepalive 8;
    })";
    n.server = R"(
      location / { spindle_pass pair; }
      # Both sides raised together, as docs/config.md says.
      location /wide/ {
        rewrite ^/wide/(.*)$ /$1 break;
        spindle_pass unix:${W};
        spindle_buffer_size 32k;
        spindle_buffers 8 32k;  # nginx: busy buffers (2 x 32k) < all buffers - one
      }
    )";
    nginx = std::make_unique<NginxHarness>(n);
  }
  std::unique_ptr<DaemonHarness> a, b, wide;
  std::unique_ptr<NginxHarness> nginx;
};

class ResponseHeadE2E : public SharedStackTest<HeadStack> {
 protected:
  static HttpResponse Get(const std::string& target) {
    return HttpGet(stack_->nginx->port(), target);
  }
  static void ExpectHealthy() {
    for (int i = 0; i < 4; ++i) {
      ASSERT_EQ(Get("/public").status, 200) << stack_->nginx->ErrorLog();
    }
  }
  static void ExpectNoUpstreamFailure() {
    std::string log = stack_->nginx->ErrorLog();
    EXPECT_EQ(log.find("no live upstreams"), std::string::npos) << log;
    EXPECT_EQ(log.find("too big response head"), std::string::npos) << log;
    EXPECT_EQ(log.find("upstream sent invalid"), std::string::npos) << log;
  }
  // Both daemons' logs (round robin sends requests to either).
  static std::string DaemonLogs() { return stack_->a->Log() + stack_->b->Log(); }
};

TEST_F(ResponseHeadE2E, AHeadOverTheLimitIs500WithTheCauseLogged) {
  // Under the default 4k (the whole frame: 8 + 4 + 8 + name + value, plus
  // Content-Type and Content-Length).
  EXPECT_EQ(Get("/big-head?bytes=3000").status, 200);
  for (int round = 0; round < 4; ++round) {
    HttpResponse r = Get("/big-head?bytes=5000");
    EXPECT_EQ(r.status, 500) << r.body;
    r = Get("/big-head?headers=900");  // many small headers: 900 * 14 bytes
    EXPECT_EQ(r.status, 500);
    ExpectHealthy();
  }
  ExpectNoUpstreamFailure();
  EXPECT_NE(DaemonLogs().find("over limits.max_response_head_size 4096"), std::string::npos)
      << DaemonLogs();
}

TEST_F(ResponseHeadE2E, RaisedTogetherWithSpindleBufferSizeLargeHeadsPass) {
  HttpResponse r = Get("/wide/big-head?bytes=20000");
  ASSERT_EQ(r.status, 200) << stack_->nginx->ErrorLog();
  EXPECT_EQ(r.Header("X-Big").value_or("").size(), 20000u);
  EXPECT_EQ(Get("/wide/big-head?bytes=40000").status, 500);
}

TEST_F(ResponseHeadE2E, HeadersThatWouldSplitTheResponseAre500) {
  for (const char* kind : {"crlf", "lf", "nul", "name", "colon"}) {
    HttpResponse r = Get(std::string("/bad-header?kind=") + kind);
    EXPECT_EQ(r.status, 500) << kind;
    EXPECT_FALSE(r.Header("Set-Cookie").has_value()) << kind;
    EXPECT_FALSE(r.Header("X-B").has_value()) << kind;
    ExpectHealthy();
  }
  ExpectNoUpstreamFailure();
  EXPECT_NE(DaemonLogs().find("has CR, LF or NUL in its value"), std::string::npos);
  EXPECT_NE(DaemonLogs().find("is not an HTTP token"), std::string::npos);
}

}  // namespace
}  // namespace spindle::test
