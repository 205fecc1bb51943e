// End-to-end tests through the real stack: HTTP client -> nginx (with
// ngx_http_spindle_module) -> unix socket -> spindled -> examples/hello.
// Every example route, the usual methods, bodies of 0 B / 1 KiB / 10 MiB,
// chunked uploads streamed with spindle_request_buffering off, streamed
// responses, upstream keepalive (counting the daemon's accepts), a daemon
// killed mid-request (502) and a client disconnect cancelling its handler.
#include "daemon_harness.hpp"
#include "http_client.hpp"
#include "nginx_harness.hpp"
#include "shared_stack.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <openssl/evp.h>

#include <future>
#include <memory>
#include <thread>

namespace spindle::test {
namespace {

using namespace std::chrono_literals;

std::string Sha256Hex(const std::string& data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned len = 0;
  EVP_Digest(data.data(), data.size(), md, &len, EVP_sha256(), nullptr);
  static const char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned i = 0; i < len; ++i) {
    out.push_back(kHex[md[i] >> 4]);
    out.push_back(kHex[md[i] & 15]);
  }
  return out;
}

std::string Pattern(size_t n) {
  std::string s(n, '\0');
  for (size_t i = 0; i < n; ++i) s[i] = static_cast<char>((i * 31) ^ (i >> 10));
  return s;
}

// One spindled (one worker, debug log) with hello mounted at / and again at
// /u, and one nginx in front: / is buffered both ways, /u/ streams both ways.
struct Stack {
  Stack() {
    DaemonOptions d;
    d.yaml = R"(workers: 1
log:
  level: debug
limits:
  max_body_size: 64m
apps:
  - name: hello
    path: ${HELLO_APP}
    mount: /
  - name: hello-unbuffered
    path: ${HELLO_APP}
    mount: /u
)";
    daemon = std::make_unique<DaemonHarness>(d);
    NginxOptions n;
    n.vars["SOCK"] = daemon->socket_path();
    n.http = "upstream spindled { server unix:${SOCK}; keepalive 8; }";
    n.server = R"(
      client_max_body_size 64m;
      location / {
        spindle_pass spindled;
        spindle_param APP_ENV e2e;
        spindle_param REMOTE_ADDR $remote_addr;
      }
      location /u/ {
        spindle_pass spindled;
        spindle_request_buffering off;
        spindle_buffering off;
      }
    )";
    nginx = std::make_unique<NginxHarness>(n);
  }
  std::unique_ptr<DaemonHarness> daemon;
  std::unique_ptr<NginxHarness> nginx;
};

class E2E : public SharedStackTest<Stack> {
 protected:
  uint16_t port() const { return stack_->nginx->port(); }
  DaemonHarness& daemon() const { return *stack_->daemon; }
};

TEST_F(E2E, Hello) {
  auto r = HttpGet(port(), "/hello");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "Hello, World!");
  EXPECT_EQ(r.Header("Content-Type"), "text/plain");
}

TEST_F(E2E, Sleep) {
  auto r = HttpGet(port(), "/sleep?ms=50");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "slept 50 ms");
}

TEST_F(E2E, UnknownRouteIs404) {
  EXPECT_EQ(HttpGet(port(), "/nothing-here").status, 404);
  HttpRequest req;
  req.method = "POST";
  req.target = "/hello";
  req.body = "x";
  auto r = HttpSend(port(), req);
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(r.Header("Allow"), "GET, HEAD");
}

void ExpectStreamed(uint16_t port, const std::string& target) {
  HttpClient c(port);
  HttpRequest req;
  req.target = target;
  c.SendRequest(req);
  auto r = c.ReadResponse();
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "chunk 0\nchunk 1\nchunk 2\nchunk 3\nchunk 4\n");
  EXPECT_TRUE(r.complete);
  // 200 ms between chunks: they cannot all arrive in one read.
  EXPECT_GE(r.pieces.size(), 3u) << target;
}

TEST_F(E2E, StreamArrivesInPiecesWithXAccelBuffering) {
  ExpectStreamed(port(), "/stream?chunks=5&ms=200");
}

TEST_F(E2E, StreamArrivesInPiecesWithBufferingOff) {
  ExpectStreamed(port(), "/u/stream?chunks=5&ms=200");
}

TEST_F(E2E, EchoEveryMethod) {
  for (const char* method : {"GET", "POST", "PUT", "DELETE"}) {
    HttpRequest req;
    req.method = method;
    req.target = "/echo?x=1&y=%20";
    req.headers = {{"X-Test", "one"}, {"X-Test", "two"}};
    auto r = HttpSend(port(), req);
    ASSERT_EQ(r.status, 200) << method;
    auto j = nlohmann::json::parse(r.body);
    EXPECT_EQ(j["method"], method);
    EXPECT_EQ(j["uri"], "/echo?x=1&y=%20");
    EXPECT_EQ(j["path"], "/echo");
    EXPECT_EQ(j["query"], "x=1&y=%20");
    EXPECT_EQ(j["body_length"], 0);
    // Headers arrive in order, duplicates kept.
    std::vector<std::string> x_test;
    for (const auto& h : j["headers"]) {
      if (h[0] == "X-Test") x_test.push_back(h[1]);
    }
    EXPECT_EQ(x_test, (std::vector<std::string>{"one", "two"}));
    bool env = false;
    for (const auto& p : j["params"]) env |= p[0] == "APP_ENV" && p[1] == "e2e";
    EXPECT_TRUE(env) << r.body;
  }
}

TEST_F(E2E, HeadHasNoBody) {
  HttpClient c(port());
  HttpRequest req;
  req.method = "HEAD";
  req.target = "/hello";
  c.SendRequest(req);
  auto r = c.ReadResponse(/*head_request=*/true);
  EXPECT_EQ(r.status, 200);
  EXPECT_TRUE(r.body.empty());
  // The connection is still in sync for the next request.
  HttpRequest next;
  next.target = "/hello";
  c.SendRequest(next);
  EXPECT_EQ(c.ReadResponse().body, "Hello, World!");
}

class E2EBodies : public E2E, public ::testing::WithParamInterface<size_t> {};

TEST_P(E2EBodies, PostAndPutBodiesArriveIntact) {
  std::string body = Pattern(GetParam());
  for (const char* method : {"POST", "PUT"}) {
    for (const char* target : {"/echo", "/u/echo"}) {
      HttpRequest req;
      req.method = method;
      req.target = target;
      req.body = body;
      req.send_content_length_zero = true;
      auto r = HttpSend(port(), req);
      ASSERT_EQ(r.status, 200) << method << " " << target;
      auto j = nlohmann::json::parse(r.body);
      EXPECT_EQ(j["body_length"], body.size());
      EXPECT_EQ(j["body_sha256"], Sha256Hex(body));
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Sizes, E2EBodies, ::testing::Values(0, 1024, 10 << 20),
                         [](const auto& info) { return std::to_string(info.param) + "B"; });

TEST_F(E2E, ChunkedUploadIsStreamedWithRequestBufferingOff) {
  HttpRequest req;
  req.method = "POST";
  req.target = "/u/echo";
  std::string all;
  for (int i = 0; i < 8; ++i) {
    req.chunks.push_back(Pattern(1000 + i * 4000));
    all += req.chunks.back();
  }
  req.chunk_delay = 30ms;
  auto r = HttpSend(port(), req);
  ASSERT_EQ(r.status, 200) << r.body;
  auto j = nlohmann::json::parse(r.body);
  EXPECT_EQ(j["body_length"], all.size());
  EXPECT_EQ(j["body_sha256"], Sha256Hex(all));
}

TEST_F(E2E, ClientDisconnectCancelsTheSleepingHandler) {
  size_t before = daemon().CountLog("hello: sleep cancelled");
  {
    HttpClient c(port());
    HttpRequest req;
    req.target = "/sleep?ms=30000";
    c.SendRequest(req);
    std::this_thread::sleep_for(300ms);  // let the handler start sleeping
  }  // closes the client connection
  EXPECT_TRUE(daemon().WaitForLog("hello: sleep cancelled", 10s, before + 1)) << daemon().Log();
}

TEST(E2EKeepalive, HundredRequestsShareOneDaemonConnection) {
  Stack s;
  HttpClient c(s.nginx->port());
  for (int i = 0; i < 100; ++i) {
    HttpRequest req;
    req.target = "/hello";
    auto r = c.Send(req);
    ASSERT_EQ(r.status, 200) << i;
  }
  EXPECT_EQ(s.daemon->CountLog("worker accepted connection"), 1u) << s.daemon->Log();
  // nginx closes its idle upstream connection when it stops; the daemon
  // then reports how many requests that one connection carried.
  s.nginx->Stop();
  EXPECT_TRUE(s.daemon->WaitForLog("closed after '100' requests", 10s)) << s.daemon->Log();
}

TEST(E2EFailure, DaemonKilledMidRequestGives502) {
  Stack s;
  auto pending = std::async(std::launch::async, [&s] {
    return HttpGet(s.nginx->port(), "/sleep?ms=20000");
  });
  ASSERT_TRUE(s.daemon->WaitForLog("worker accepted connection", 10s));
  std::this_thread::sleep_for(200ms);
  s.daemon->Kill();
  auto r = pending.get();
  EXPECT_EQ(r.status, 502);
  EXPECT_TRUE(s.nginx->WaitForLog("upstream", 5s)) << s.nginx->ErrorLog();
}

}  // namespace
}  // namespace spindle::test
