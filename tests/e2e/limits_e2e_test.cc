// Limits are request errors, never backend failures: through the real nginx
// with TWO daemons in one upstream block (so a daemon nginx counted as failed
// would show up as 502 "no live upstreams" on the requests after it), every
// request over a daemon limit gets its 4xx (431, 414, 413), and every normal
// request before and after it gets 200.
#include "daemon_harness.hpp"
#include "http_client.hpp"
#include "nginx_harness.hpp"
#include "shared_stack.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <string>

namespace spindle::test {
namespace {

constexpr const char* kDaemonYaml = R"(workers: 1
limits:
  max_head_size: 16k
  max_headers: 256
  max_uri_length: 1k
  max_body_size: 1m
apps:
  - name: hello
    path: ${HELLO_APP}
    mount: /
  - name: hello-streamed
    path: ${HELLO_APP}
    mount: /u
)";

struct TwoDaemons {
  TwoDaemons() {
    DaemonOptions d;
    d.yaml = kDaemonYaml;
    a = std::make_unique<DaemonHarness>(d);
    b = std::make_unique<DaemonHarness>(d);
    NginxOptions n;
    n.vars["A"] = a->socket_path();
    n.vars["B"] = b->socket_path();
    // max_fails=1: one failure would take a peer out for 30 s.
    n.http = R"(upstream pair {
        server unix:${A} max_fails=1 fail_timeout=30s;
        server unix:${B} max_fails=1 fail_timeout=30s;
        keepalive 8;
    })";
    n.server = R"(
      large_client_header_buffers 8 32k;
      client_max_body_size 64m;
      # Module limits raised: these requests must reach the daemon.
      location / { spindle_pass pair; spindle_max_headers 1024; }
      location /u/ {
        spindle_pass pair;
        spindle_request_buffering off;
      }
      # The module's own limits, in front of a socket nobody listens on: an
      # answer other than 502 comes from the module itself.
      location /local/ {
        spindle_pass unix:${PREFIX}/nobody.sock;
        spindle_max_headers 10;
        spindle_max_head_size 2k;
        spindle_max_uri_length 100;
      }
    )";
    nginx = std::make_unique<NginxHarness>(n);
  }
  std::unique_ptr<DaemonHarness> a, b;
  std::unique_ptr<NginxHarness> nginx;
};

class LimitsE2E : public SharedStackTest<TwoDaemons> {
 protected:
  uint16_t port() const { return stack_->nginx->port(); }

  // Normal requests, alternating over both peers (round robin): all 200.
  void ExpectAllHealthy(int n = 10) {
    for (int i = 0; i < n; ++i) {
      auto r = HttpGet(port(), "/hello");
      ASSERT_EQ(r.status, 200) << "request " << i << " after an over-limit request\n"
                               << stack_->nginx->ErrorLog();
    }
  }
  void ExpectNoUpstreamFailure() {
    std::string log = stack_->nginx->ErrorLog();
    EXPECT_EQ(log.find("no live upstreams"), std::string::npos) << log;
    EXPECT_EQ(log.find("prematurely closed"), std::string::npos) << log;
    EXPECT_EQ(log.find("upstream sent invalid"), std::string::npos) << log;
  }
  HttpResponse Send(HttpRequest req) {
    HttpClient c(port());
    return c.Send(req);
  }
};

TEST_F(LimitsE2E, TooManyHeadersIs431AndNoPeerIsMarkedDown) {
  ExpectAllHealthy(4);
  for (int round = 0; round < 6; ++round) {  // both peers see several
    HttpRequest req;
    req.target = "/hello";
    for (int i = 0; i < 300; ++i) req.headers.push_back({"X-H" + std::to_string(i), "v"});
    EXPECT_EQ(Send(req).status, 431);
    ExpectAllHealthy(2);
  }
  ExpectNoUpstreamFailure();
}

TEST_F(LimitsE2E, HeadOverMaxHeadSizeIs431) {
  for (int round = 0; round < 4; ++round) {
    HttpRequest req;
    req.target = "/hello";
    for (int i = 0; i < 3; ++i) req.headers.push_back({"X-Big" + std::to_string(i), std::string(7000, 'a')});
    EXPECT_EQ(Send(req).status, 431);
    // The same with a body that the daemon must read past.
    req.method = "POST";
    req.target = "/echo";
    req.body = std::string(200000, 'b');
    EXPECT_EQ(Send(req).status, 431);
    ExpectAllHealthy(2);
  }
  ExpectNoUpstreamFailure();
}

TEST_F(LimitsE2E, UriOverMaxUriLengthIs414) {
  for (int round = 0; round < 4; ++round) {
    EXPECT_EQ(HttpGet(port(), "/hello?q=" + std::string(2000, 'q')).status, 414);
    ExpectAllHealthy(2);
  }
  ExpectNoUpstreamFailure();
}

TEST_F(LimitsE2E, BodyOverMaxBodySizeIs413BothWays) {
  for (int round = 0; round < 2; ++round) {
    HttpRequest req;
    req.method = "POST";
    req.target = "/echo";
    req.body = std::string(2 << 20, 'x');  // with Content-Length
    EXPECT_EQ(Send(req).status, 413);
    HttpRequest chunked;  // no length: the daemon finds out while reading
    chunked.method = "POST";
    chunked.target = "/u/echo";
    for (int i = 0; i < 40; ++i) chunked.chunks.push_back(std::string(64 * 1024, 'y'));
    EXPECT_EQ(Send(chunked).status, 413);
    ExpectAllHealthy(2);
  }
  ExpectNoUpstreamFailure();
}

TEST_F(LimitsE2E, TheModuleAnswersOverLimitRequestsItself) {
  HttpRequest many;
  many.target = "/local/x";
  for (int i = 0; i < 12; ++i) many.headers.push_back({"X-H" + std::to_string(i), "v"});
  auto r = Send(many);
  EXPECT_EQ(r.status, 431);
  EXPECT_NE(r.body.find("Request Header Fields Too Large"), std::string::npos) << r.body;
  HttpRequest big;
  big.target = "/local/x";
  big.headers.push_back({"X-Big", std::string(3000, 'a')});
  big.method = "POST";
  big.body = std::string(5000, 'b');  // discarded by nginx
  EXPECT_EQ(Send(big).status, 431);
  EXPECT_EQ(HttpGet(port(), "/local/" + std::string(120, 'u')).status, 414);
  // Under the limits the request goes on to the (absent) daemon: 502.
  EXPECT_EQ(HttpGet(port(), "/local/x").status, 502);
  // Kept-alive client connection still usable after a local 431.
  HttpClient c(port());
  EXPECT_EQ(c.Send(many).status, 431);
  HttpRequest ok;
  ok.target = "/hello";
  EXPECT_EQ(c.Send(ok).status, 200);
}

TEST(LimitsConfig, BadModuleLimitsFailNginxT) {
  NginxOptions n;
  n.server = "location / { spindle_pass unix:/tmp/x.sock; spindle_max_headers 0; }";
  NginxCheck c = NginxHarness::CheckConfig(n);
  EXPECT_FALSE(c.ok);
  EXPECT_NE(c.output.find("\"spindle_max_headers\" must be 1..1024"), std::string::npos)
      << c.output;
  n.server = "location / { spindle_pass unix:/tmp/x.sock; spindle_max_head_size 2m; }";
  c = NginxHarness::CheckConfig(n);
  EXPECT_FALSE(c.ok);
  EXPECT_NE(c.output.find("spindle_max_head_size"), std::string::npos) << c.output;
}

}  // namespace
}  // namespace spindle::test
