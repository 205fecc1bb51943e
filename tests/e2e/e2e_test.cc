// End-to-end tests through the real stack: HTTP client -> nginx (with
// ngx_http_spindle_module) -> spindled -> examples/hello, every case twice:
// nginx reaching the daemon over its unix socket and over a loopback TCP
// port (test names end in /unix and /tcp). Every example route, the usual
// methods, bodies of 0 B / 1 KiB / 10 MiB (checked by hash), chunked uploads
// streamed with spindle_request_buffering off, streamed responses, upstream
// keepalive (counting the daemon's accepts), a daemon killed mid-request
// (502) and client disconnects cancelling their handlers without leaking a
// fiber or a connection (the admin endpoint's metrics, through nginx).
#include "daemon_harness.hpp"
#include "http_client.hpp"
#include "nginx_harness.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <openssl/evp.h>

#include <algorithm>
#include <cstdlib>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <thread>
#include <tuple>
#include <type_traits>

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

enum class Transport { kUnix, kTcp };

std::string TransportName(Transport t) { return t == Transport::kUnix ? "unix" : "tcp"; }

// One spindled (one worker, debug log) with hello mounted at / and again at
// /u, and one nginx in front: / is buffered both ways, /u/ streams both ways;
// /metrics is the daemon's admin endpoint. nginx reaches the daemon and its
// admin endpoint over unix sockets or over loopback TCP ports.
struct Stack {
  explicit Stack(Transport transport) {
    const bool tcp = transport == Transport::kTcp;
    DaemonOptions d;
    if (tcp) d.listen = kTcpListen;
    d.yaml = std::string(tcp ? "admin:\n  address: 127.0.0.1:${ADMIN_PORT}\n"
                             : "admin:\n  path: ${DIR}/admin.sock\n  mode: \"0666\"\n") +
             R"(workers: 1
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
    n.vars["ADDR"] = daemon->address();
    n.vars["ADMIN"] = tcp ? "127.0.0.1:" + std::to_string(daemon->admin_port())
                          : "unix:" + daemon->dir() + "/admin.sock";
    n.http = "upstream spindled { server ${ADDR}; keepalive 8; }\n"
             "upstream admin { server ${ADMIN}; }";
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
      location = /metrics { spindle_pass admin; }
    )";
    nginx = std::make_unique<NginxHarness>(n);
  }
  std::unique_ptr<DaemonHarness> daemon;
  std::unique_ptr<NginxHarness> nginx;
};

// Tests whose parameter is (or starts with) the transport share one stack per
// transport, built when its first test runs.
template <class Param>
class TransportTest : public ::testing::TestWithParam<Param> {
 protected:
  static void TearDownTestSuite() { stacks_.clear(); }
  Transport transport() const {
    if constexpr (std::is_same_v<Param, Transport>) {
      return this->GetParam();
    } else {
      return std::get<0>(this->GetParam());
    }
  }
  Stack& stack() const {
    auto& s = stacks_[transport()];
    if (!s) s = std::make_unique<Stack>(transport());
    return *s;
  }
  uint16_t port() const { return stack().nginx->port(); }
  DaemonHarness& daemon() const { return *stack().daemon; }

 private:
  static inline std::map<Transport, std::unique_ptr<Stack>> stacks_;
};

using E2E = TransportTest<Transport>;

auto TransportParamName(const ::testing::TestParamInfo<Transport>& info) {
  return TransportName(info.param);
}

TEST_P(E2E, Hello) {
  auto r = HttpGet(port(), "/hello");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "Hello, World!");
  EXPECT_EQ(r.Header("Content-Type"), "text/plain");
}

TEST_P(E2E, Sleep) {
  auto r = HttpGet(port(), "/sleep?ms=50");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "slept 50 ms");
}

TEST_P(E2E, UnknownRouteIs404) {
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

TEST_P(E2E, StreamArrivesInPiecesWithXAccelBuffering) {
  ExpectStreamed(port(), "/stream?chunks=5&ms=200");
}

TEST_P(E2E, StreamArrivesInPiecesWithBufferingOff) {
  ExpectStreamed(port(), "/u/stream?chunks=5&ms=200");
}

TEST_P(E2E, EchoEveryMethod) {
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

TEST_P(E2E, HeadHasNoBody) {
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

using E2EBodies = TransportTest<std::tuple<Transport, size_t>>;

TEST_P(E2EBodies, PostAndPutBodiesArriveIntact) {
  std::string body = Pattern(std::get<1>(GetParam()));
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

INSTANTIATE_TEST_SUITE_P(Sizes, E2EBodies,
                         ::testing::Combine(::testing::Values(Transport::kUnix, Transport::kTcp),
                                            ::testing::Values(0, 1024, 10 << 20)),
                         [](const auto& info) {
                           return TransportName(std::get<0>(info.param)) + "_" +
                                  std::to_string(std::get<1>(info.param)) + "B";
                         });

TEST_P(E2E, ChunkedUploadIsStreamedWithRequestBufferingOff) {
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

// The value of an unlabelled metric in the admin endpoint's Prometheus text
// (through nginx); -1 when it is missing.
double Metric(uint16_t port, const std::string& name) {
  HttpResponse r = HttpGet(port, "/metrics");
  if (r.status != 200) return -1;
  const std::string key = "\n" + name + " ";
  size_t p = r.body.find(key);
  return p == std::string::npos ? -1 : std::atof(r.body.c_str() + p + key.size());
}

// Fibers alive beyond one per open connection: the worker's own fibers plus
// one per running request. Read until `ok(value)` (the fiber count is
// sampled every 250 ms, the connection count is live); the last value read.
double FibersBeyondConnections(uint16_t port, const std::function<bool(double)>& ok) {
  using Clock = std::chrono::steady_clock;
  double v = -1;
  for (auto until = Clock::now() + 10s; Clock::now() < until; std::this_thread::sleep_for(100ms)) {
    if (Metric(port, "spindle_requests_in_flight") != 0) continue;
    v = Metric(port, "spindle_fibers_alive") - Metric(port, "spindle_connections_open");
    if (ok(v)) break;
  }
  return v;
}

TEST_P(E2E, ClientDisconnectsCancelHandlersAndLeakNothing) {
  // The idle baseline: the lowest of a few reads (a sample may catch the
  // fiber of a /metrics connection).
  double base = 1e9;
  for (int i = 0; i < 4; ++i) {
    base = std::min(base, FibersBeyondConnections(port(), [](double) { return true; }));
    std::this_thread::sleep_for(150ms);
  }
  ASSERT_GE(base, 0);
  size_t before = daemon().CountLog("hello: sleep cancelled");
  for (int i = 0; i < 5; ++i) {
    // Buffered (/) and streamed (/u/) requests, a sleeping handler and a
    // stream cut after its first chunk.
    const bool stream = i % 2 == 1;
    HttpClient c(port());
    HttpRequest req;
    req.target = std::string(i < 3 ? "" : "/u") + (stream ? "/stream?chunks=50&ms=100"
                                                           : "/sleep?ms=30000");
    c.SendRequest(req);
    if (stream) {
      c.ReadResponse(false, [](std::string_view) { return false; });  // first piece, then close
    } else {
      std::this_thread::sleep_for(300ms);  // let the handler start sleeping
      c.Close();
      ASSERT_TRUE(daemon().WaitForLog("hello: sleep cancelled", 10s, ++before)) << daemon().Log();
    }
  }
  // Every cancelled handler's fiber is gone, and no connection fiber
  // outlived its connection.
  EXPECT_LE(FibersBeyondConnections(port(), [base](double v) { return v >= 0 && v <= base; }),
            base)
      << daemon().Log();
}

using E2EFresh = ::testing::TestWithParam<Transport>;

TEST_P(E2EFresh, HundredRequestsShareOneDaemonConnection) {
  Stack s(GetParam());
  HttpClient c(s.nginx->port());
  for (int i = 0; i < 100; ++i) {
    HttpRequest req;
    req.target = "/hello";
    auto r = c.Send(req);
    ASSERT_EQ(r.status, 200) << i;
  }
  EXPECT_EQ(s.daemon->CountLog("worker accepted connection"), 1u) << s.daemon->Log();
  EXPECT_EQ(Metric(s.nginx->port(), "spindle_connections_accepted_total"), 1);
  // nginx closes its idle upstream connection when it stops; the daemon
  // then reports how many requests that one connection carried.
  s.nginx->Stop();
  EXPECT_TRUE(s.daemon->WaitForLog("closed after '100' requests", 10s)) << s.daemon->Log();
}

TEST_P(E2EFresh, DaemonKilledMidRequestGives502) {
  Stack s(GetParam());
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

INSTANTIATE_TEST_SUITE_P(Transports, E2E, ::testing::Values(Transport::kUnix, Transport::kTcp),
                         TransportParamName);
INSTANTIATE_TEST_SUITE_P(Transports, E2EFresh,
                         ::testing::Values(Transport::kUnix, Transport::kTcp), TransportParamName);

}  // namespace
}  // namespace spindle::test
