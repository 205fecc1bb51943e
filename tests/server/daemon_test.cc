// Daemon-level tests: the real spindled with the hello example mounted at /
// and the test app at /t, driven over its unix socket with the wire protocol
// (no nginx). Covers routing (404/405, path params), streaming request
// bodies, keepalive, malformed frames, handler exceptions and cancellation.
#include "daemon_harness.hpp"
#include "frame_client.hpp"

#include <spindle_protocol.h>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <memory>
#include <thread>

namespace spindle::test {
namespace {

using namespace std::chrono_literals;

class DaemonTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    DaemonOptions o;
    o.yaml = std::string(R"(workers: 1
max_inflight: 100
queue_timeout: 5s
limits:
  max_head_size: 16k
  max_body_size: 32m
log:
  level: debug
apps:
  - name: hello
    path: ${HELLO_APP}
    mount: /
  - name: test
    path: )") + SPINDLE_TEST_APP + R"(
    mount: /t
    config:
      greeting: hi
      n: 3
)";
    daemon_ = new DaemonHarness(o);
  }
  static void TearDownTestSuite() {
    delete daemon_;
    daemon_ = nullptr;
  }

  std::unique_ptr<FrameClient> Connect() {
    return std::make_unique<FrameClient>(daemon_->socket_path());
  }

  static DaemonHarness* daemon_;
};

DaemonHarness* DaemonTest::daemon_ = nullptr;

TEST_F(DaemonTest, HelloRoute) {
  auto c = Connect();
  auto r = c->Request("GET", "/hello");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "Hello, World!");
  EXPECT_EQ(r.Header("Content-Type"), "text/plain");
  EXPECT_EQ(r.Header("Content-Length"), "13");
  EXPECT_TRUE(r.ended);
}

TEST_F(DaemonTest, UnknownPathIs404) {
  auto c = Connect();
  auto r = c->Request("GET", "/nope");
  EXPECT_EQ(r.status, 404);
  EXPECT_TRUE(r.ended);
  // The connection stays usable after a 404.
  EXPECT_EQ(c->Request("GET", "/hello").status, 200);
}

TEST_F(DaemonTest, WrongMethodIs405WithAllow) {
  auto c = Connect();
  auto r = c->Request("DELETE", "/t/items");
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(r.Header("Allow"), "GET, HEAD, POST");
  auto created = c->Request("POST", "/t/items", "thing");
  EXPECT_EQ(created.status, 201);
  EXPECT_EQ(created.body, "created thing");
}

TEST_F(DaemonTest, PathParams) {
  auto c = Connect();
  EXPECT_EQ(c->Request("GET", "/t/users/42").body, "user 42");
  EXPECT_EQ(c->Request("GET", "/t/users/7/posts/abc?x=1").body, "7/abc");
  EXPECT_EQ(c->Request("GET", "/t/files/a/b/c.txt").body, "a/b/c.txt");
}

TEST_F(DaemonTest, AppConfigMountAndQuery) {
  auto c = Connect();
  auto r = c->Request("GET", "/t/config?q=a%20b+c");
  ASSERT_EQ(r.status, 200);
  auto j = nlohmann::json::parse(r.body);
  EXPECT_EQ(j["config"]["greeting"], "hi");
  EXPECT_EQ(j["config"]["n"], 3);
  EXPECT_EQ(j["route"], "/t/config");
  EXPECT_EQ(j["q"], "a b c");
}

TEST_F(DaemonTest, EchoReportsHeadersParamsAndBody) {
  auto c = Connect();
  c->SendHead("PUT", "/echo?a=1&b=2", {{"Host", "x"}, {"X-One", "1"}, {"x-one", "2"}},
              {{"APP_ENV", "test"}}, true, 5);
  c->SendBody("hello");
  c->SendEnd();
  auto r = c->ReadResponse();
  ASSERT_EQ(r.status, 200);
  auto j = nlohmann::json::parse(r.body);
  EXPECT_EQ(j["method"], "PUT");
  EXPECT_EQ(j["uri"], "/echo?a=1&b=2");
  EXPECT_EQ(j["path"], "/echo");
  EXPECT_EQ(j["query"], "a=1&b=2");
  ASSERT_EQ(j["headers"].size(), 3u);
  EXPECT_EQ(j["headers"][1][0], "X-One");
  EXPECT_EQ(j["headers"][2][1], "2");
  EXPECT_EQ(j["params"][0][0], "APP_ENV");
  EXPECT_EQ(j["params"][0][1], "test");
  EXPECT_EQ(j["body_length"], 5);
  EXPECT_EQ(j["body_sha256"],
            "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824");
}

TEST_F(DaemonTest, RequestBodyIsStreamedToTheHandler) {
  auto c = Connect();
  c->SendHead("POST", "/t/upload-chunks", {}, {}, true, -1);
  auto head = c->ReadFrame();
  ASSERT_TRUE(head);
  ASSERT_EQ(head->type, SPINDLE_FRAME_RESPONSE_HEAD);
  // Each piece is answered before the next one is sent: the handler reads
  // the body while it is still arriving.
  for (std::string piece : {"aaaa", "bb", "cccccc"}) {
    c->SendBody(piece);
    auto f = c->ReadFrame();
    ASSERT_TRUE(f);
    ASSERT_EQ(f->type, SPINDLE_FRAME_RESPONSE_BODY);
    EXPECT_EQ(f->payload, "got " + std::to_string(piece.size()) + "\n");
  }
  c->SendEnd();
  auto rest = c->ReadResponse();
  EXPECT_TRUE(rest.ended);
  EXPECT_EQ(rest.body, "total 12\n");
}

TEST_F(DaemonTest, LargeBodiesBothWays) {
  auto c = Connect();
  std::string body(10 << 20, '\0');
  for (size_t i = 0; i < body.size(); ++i) body[i] = static_cast<char>(i * 7 + (i >> 12));
  auto r = c->Request("POST", "/t/echo-body", body);
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.body.size(), body.size());
  EXPECT_TRUE(r.body == body);
  auto big = c->Request("GET", "/t/big?n=3000000");
  EXPECT_EQ(big.body, std::string(3000000, 'x'));
}

TEST_F(DaemonTest, ManyRequestsOnOneKeptAliveConnection) {
  size_t accepts_before = daemon_->CountLog("worker accepted connection");
  auto c = Connect();
  for (int i = 0; i < 1000; ++i) {
    auto r = c->Request("GET", "/hello");
    ASSERT_EQ(r.status, 200) << "request " << i;
    ASSERT_EQ(r.body, "Hello, World!");
  }
  c->Close();
  ASSERT_TRUE(daemon_->WaitForLog("closed after '1000' requests"));
  EXPECT_EQ(daemon_->CountLog("worker accepted connection"), accepts_before + 1);
}

struct Malformed {
  const char* name;
  std::string bytes;
  const char* log;
};

std::string Header(uint8_t version, uint8_t type, uint32_t len, uint8_t reserved = 0) {
  std::string h(8, '\0');
  h[0] = static_cast<char>(version);
  h[1] = static_cast<char>(type);
  h[2] = static_cast<char>(reserved);
  h[4] = static_cast<char>(len & 0xff);
  h[5] = static_cast<char>((len >> 8) & 0xff);
  h[6] = static_cast<char>((len >> 16) & 0xff);
  h[7] = static_cast<char>((len >> 24) & 0xff);
  return h;
}

class MalformedFrames : public DaemonTest, public ::testing::WithParamInterface<Malformed> {};

TEST_P(MalformedFrames, CloseTheConnectionAndLogTheReason) {
  size_t before = daemon_->CountLog(GetParam().log);
  auto c = Connect();
  c->SendRaw(GetParam().bytes);
  EXPECT_TRUE(c->WaitClosed());
  EXPECT_TRUE(daemon_->WaitForLog(GetParam().log, 5s, before + 1)) << daemon_->Log();
  // The worker is unharmed.
  EXPECT_EQ(Connect()->Request("GET", "/hello").status, 200);
}

INSTANTIATE_TEST_SUITE_P(
    All, MalformedFrames,
    ::testing::Values(
        Malformed{"WrongVersion", Header(SPINDLE_PROTOCOL_VERSION - 1, 1, 40) + std::string(40, 'x'),
                  "unsupported protocol version"},
        Malformed{"UnknownType", Header(SPINDLE_PROTOCOL_VERSION, 99, 0), "unknown frame type"},
        Malformed{"ReservedBits", Header(SPINDLE_PROTOCOL_VERSION, 3, 0, 1), "reserved bits set"},
        Malformed{"HeadOverProtocolCeiling", Header(SPINDLE_PROTOCOL_VERSION, 1, (1 << 20) + 1), "frame too large"},
        Malformed{"EmptyBody", Header(SPINDLE_PROTOCOL_VERSION, 2, 0), "invalid frame length"},
        Malformed{"BodyOutsideRequest", Header(SPINDLE_PROTOCOL_VERSION, 2, 3) + "abc", "body frame outside a request"},
        Malformed{"ResponseFrameFromNginx", Header(SPINDLE_PROTOCOL_VERSION, 6, 0), "unexpected frame type"},
        Malformed{"TruncatedHeadField",
                  Header(SPINDLE_PROTOCOL_VERSION, 1, 28) + std::string(16, '\0') + std::string("\xff\0\0\0", 4) +
                      std::string(8, '\0'),
                  "truncated field"}),
    [](const auto& info) { return std::string(info.param.name); });

// Limits are request errors: answered as responses, the body (if any)
// dropped, and the same connection serves the next request.
TEST_F(DaemonTest, TooManyHeadersIs431AndTheConnectionStays) {
  auto c = Connect();
  FieldList many;
  for (int i = 0; i < 300; ++i) many.push_back({"X-H" + std::to_string(i), "v"});
  auto r = c->Request("GET", "/hello", {}, many);
  EXPECT_EQ(r.status, 431);
  EXPECT_TRUE(r.ended);
  EXPECT_EQ(c->Request("GET", "/hello").status, 200);
}

TEST_F(DaemonTest, HeadOverMaxHeadSizeIs431WithBodyDropped) {
  auto c = Connect();
  // 20 KiB of headers against max_head_size 16k, then a body to drop.
  FieldList big = {{"X-Big", std::string(20 * 1024, 'a')}};
  auto r = c->Request("POST", "/t/echo", std::string(100000, 'b'), big);
  EXPECT_EQ(r.status, 431);
  EXPECT_TRUE(r.ended);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(c->Request("GET", "/hello").status, 200);
}

TEST_F(DaemonTest, UriOverMaxUriLengthIs414) {
  auto c = Connect();
  auto r = c->Request("GET", "/hello?q=" + std::string(9000, 'q'));
  EXPECT_EQ(r.status, 414);
  EXPECT_TRUE(r.ended);
  // At the limit (8k by default) it is routed.
  std::string at = "/hello?q=";
  at += std::string(8 * 1024 - at.size(), 'q');
  EXPECT_EQ(c->Request("GET", at).status, 200);
}

// The router uses the head's path (what nginx matched its location on),
// never the raw URI; a path nginx could not have produced is a 400 and the
// connection stays.
TEST_F(DaemonTest, RoutesOnTheHeadsPathNotTheRawUri) {
  auto c = Connect();
  c->SendHead("GET", "/t/admin/%2E%2E/public", {}, {}, false, 0, "/t/public");
  c->SendEnd();
  auto r = c->ReadResponse();
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "public");
  c->SendHead("GET", "/t/where/%41%2Fb?x=%41", {}, {}, false, 0, "/t/where/A/b");
  c->SendEnd();
  r = c->ReadResponse();
  ASSERT_EQ(r.status, 200);
  auto j = nlohmann::json::parse(r.body);
  EXPECT_EQ(j["rest"], "A/b");
  EXPECT_EQ(j["path"], "/t/where/A/b");
  EXPECT_EQ(j["uri"], "/t/where/%41%2Fb?x=%41");
}

TEST_F(DaemonTest, PathNotNormalisedIs400AndTheConnectionStays) {
  auto c = Connect();
  for (const std::string& path :
       {std::string("/t/admin/x/.."), std::string("/t/./public"), std::string("/t/a/../public"),
        std::string("t/public"), std::string(""), std::string("/t/where/a\0b", 12),
        std::string("/t/where/."), std::string("/..")}) {
    c->SendHead("GET", "/t/public", {}, {}, false, 0, path);
    c->SendEnd();
    auto r = c->ReadResponse();
    EXPECT_EQ(r.status, 400) << "path " << path;
    EXPECT_TRUE(r.ended);
  }
  // Segments that merely contain dots are ordinary.
  c->SendHead("GET", "/t/where/..a/.b/...", {}, {}, false, 0, "/t/where/..a/.b/...");
  c->SendEnd();
  auto r = c->ReadResponse();
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(nlohmann::json::parse(r.body)["rest"], "..a/.b/...");
  EXPECT_EQ(c->Request("GET", "/hello").status, 200);
}

// A response head nginx's spindle_buffer_size could not hold, or a header
// that would split the response, is a 500 from the daemon (not a 502 from
// nginx), and the connection stays.
TEST_F(DaemonTest, ResponseHeadOverTheLimitOrSplittingIs500) {
  auto c = Connect();
  EXPECT_EQ(c->Request("GET", "/t/big-head?bytes=3000").status, 200);
  for (const char* target : {"/t/big-head?bytes=5000", "/t/big-head?headers=2000",
                             "/t/bad-header?kind=crlf", "/t/bad-header?kind=name"}) {
    auto r = c->Request("GET", target);
    EXPECT_EQ(r.status, 500) << target;
    EXPECT_TRUE(r.ended);
    EXPECT_EQ(c->Request("GET", "/hello").status, 200);
  }
}

// An app cannot send an interim or out-of-range status: set_status throws,
// so the client gets a 500 instead of a split response.
TEST_F(DaemonTest, InterimStatusFromAnAppIs500) {
  auto c = Connect();
  for (int code : {100, 101, 103, 199, 600, 999}) {
    auto r = c->Request("GET", "/t/status?code=" + std::to_string(code));
    EXPECT_EQ(r.status, 500) << code;
    EXPECT_TRUE(r.ended);
  }
  for (int code : {200, 204, 418, 599}) {
    EXPECT_EQ(c->Request("GET", "/t/status?code=" + std::to_string(code)).status, code);
  }
}

TEST_F(DaemonTest, HandlerExceptionIs500AndLogged) {
  auto c = Connect();
  auto r = c->Request("GET", "/t/throw");
  EXPECT_EQ(r.status, 500);
  EXPECT_TRUE(r.ended);
  EXPECT_TRUE(daemon_->WaitForLog("handler for route '/t/throw' failed: 'boom'"));
  EXPECT_EQ(c->Request("GET", "/hello").status, 200);
}

TEST_F(DaemonTest, ExceptionAfterHeadAbortsTheResponse) {
  auto c = Connect();
  auto r = c->Request("GET", "/t/throw-after-head");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "partial");
  EXPECT_TRUE(r.aborted);
  EXPECT_EQ(r.abort_reason, "late boom");
}

TEST_F(DaemonTest, HttpErrorSetsTheStatus) {
  auto c = Connect();
  auto r = c->Request("GET", "/t/teapot");
  EXPECT_EQ(r.status, 418);
  EXPECT_EQ(r.body, "short and stout\n");
}

TEST_F(DaemonTest, ClosedConnectionCancelsASleepingHandler) {
  size_t before = daemon_->CountLog("hello: sleep cancelled");
  auto c = Connect();
  c->SendHead("GET", "/sleep?ms=30000");
  c->SendEnd();
  std::this_thread::sleep_for(200ms);  // let the handler start sleeping
  c->Close();
  EXPECT_TRUE(daemon_->WaitForLog("hello: sleep cancelled", 5s, before + 1)) << daemon_->Log();
}

TEST_F(DaemonTest, AbortFrameCancelsTheHandlerAndKeepsTheConnection) {
  size_t before = daemon_->CountLog("hello: sleep cancelled");
  auto c = Connect();
  c->SendHead("GET", "/sleep?ms=30000");
  c->SendEnd();
  std::this_thread::sleep_for(200ms);
  c->SendAbort("client gone");
  EXPECT_TRUE(daemon_->WaitForLog("hello: sleep cancelled", 5s, before + 1));
  // Nothing of the aborted response was sent, so the connection carries on.
  auto r = c->Request("GET", "/hello");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "Hello, World!");
}

TEST_F(DaemonTest, StreamedResponseArrivesInFrames) {
  auto c = Connect();
  auto r = c->Request("GET", "/stream?chunks=4&ms=20");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.Header("X-Accel-Buffering"), "no");
  ASSERT_EQ(r.chunks.size(), 4u);
  EXPECT_EQ(r.chunks[3], "chunk 3\n");
}

TEST_F(DaemonTest, SleepRoute) {
  auto c = Connect();
  auto r = c->Request("GET", "/sleep?ms=20");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "slept 20 ms");
}

}  // namespace
}  // namespace spindle::test
