// request_timeout through the real nginx: a handler that runs past it is
// answered 504 within ~100 ms of the limit (not after idle_timeout), the
// upstream connection stays usable, and a streamed response cut by it
// reaches the client as a truncated response, not a complete one.
#include "daemon_harness.hpp"
#include "http_client.hpp"
#include "nginx_harness.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <memory>

namespace spindle::test {
namespace {

using namespace std::chrono_literals;

TEST(RequestTimeoutE2E, Gets504AtTheLimitThenServesOn) {
  DaemonOptions d;
  d.yaml = "workers: 1\nrequest_timeout: 1s\nidle_timeout: 6s\n"
           "apps:\n  - name: hello\n    path: ${HELLO_APP}\n    mount: /\n";
  DaemonHarness daemon(d);
  NginxOptions n;
  n.vars["SOCK"] = daemon.socket_path();
  n.http = "upstream d { server unix:${SOCK}; keepalive 4; }";
  n.server = "location / { spindle_pass d; spindle_read_timeout 30s; spindle_buffering off; }";
  NginxHarness nginx(n);

  auto start = std::chrono::steady_clock::now();
  auto r = HttpGet(nginx.port(), "/sleep?ms=5000");
  auto took = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(r.status, 504);
  EXPECT_GE(took, 950ms);
  EXPECT_LE(took, 1300ms);
  for (int i = 0; i < 5; ++i) EXPECT_EQ(HttpGet(nginx.port(), "/hello").status, 200);

  HttpClient c(nginx.port());
  HttpRequest streamed;
  streamed.target = "/stream?chunks=50&ms=100";
  auto s = c.Send(streamed);
  EXPECT_EQ(s.status, 200);
  EXPECT_FALSE(s.complete) << "a stream cut by request_timeout looked complete";
  EXPECT_EQ(HttpGet(nginx.port(), "/hello").status, 200);
}

}  // namespace
}  // namespace spindle::test
