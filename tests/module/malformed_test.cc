// Malformed reply tests: a FakeDaemon answers with each kind of broken
// reply. Before the response head is complete, the client gets a 502 and
// the error log names the problem ("upstream sent invalid ... (reason)");
// after it, the client's response is cut short and the log names it. No
// worker crashes, and a connection that ended badly is never reused: each
// bad reply costs the keepalive pool its connection (counted in accepts).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "module_rig.hpp"
#include "spindle_protocol.h"

namespace spindle::test {
namespace {

struct BadReply {
  const char* name;
  std::string bytes;    // sent in reply to the request
  bool close = false;   // then close the connection
  std::string log;      // must appear in the error log
  bool cut = true;      // (body cases) the client's body ends incomplete
};

std::string RawHeader(uint8_t version, uint8_t type, uint8_t reserved, uint32_t length) {
  std::string h(SPINDLE_FRAME_HEADER_SIZE, '\0');
  auto* p = reinterpret_cast<uint8_t*>(h.data());
  spindle_frame_header_encode(p, type, length);
  p[0] = version;
  p[2] = reserved;
  return h;
}

std::string Str(std::string_view s) {
  std::string out(4, '\0');
  spindle_put_u32(reinterpret_cast<uint8_t*>(out.data()), static_cast<uint32_t>(s.size()));
  return out + std::string(s);
}

std::string HeadPayload(uint16_t status, uint16_t count, const std::string& fields) {
  std::string p(4, '\0');
  auto* b = reinterpret_cast<uint8_t*>(p.data());
  spindle_put_u16(spindle_put_u16(b, status), count);
  return p + fields;
}

std::vector<BadReply> HeadCases() {
  const std::string ok_head = ResponseHead(200, {{"Content-Type", "text/plain"}});
  std::string big_fields;
  for (int i = 0; i < 200; i++) big_fields += Str("X-Filler-" + std::to_string(i)) + Str(std::string(100, 'v'));
  return {
      {"bad version", RawHeader(SPINDLE_PROTOCOL_VERSION + 1, SPINDLE_FRAME_RESPONSE_HEAD, 0, 4) + HeadPayload(200, 0, ""),
       false, "upstream sent invalid frame header (unsupported protocol version)"},
      {"unknown type", RawHeader(SPINDLE_PROTOCOL_VERSION, 42, 0, 0), false,
       "upstream sent invalid frame header (unknown frame type)"},
      {"reserved bits", RawHeader(SPINDLE_PROTOCOL_VERSION, SPINDLE_FRAME_RESPONSE_HEAD, 1, 4) + HeadPayload(200, 0, ""),
       false, "upstream sent invalid frame header (reserved bits set)"},
      {"oversize head", RawHeader(SPINDLE_PROTOCOL_VERSION, SPINDLE_FRAME_RESPONSE_HEAD, 0, 2 << 20), false,
       "upstream sent invalid frame header (frame too large)"},
      {"head over spindle_buffer_size",
       Frame(SPINDLE_FRAME_RESPONSE_HEAD, HeadPayload(200, 200, big_fields)), false,
       "upstream sent too big response head"},
      {"truncated then close", ok_head.substr(0, ok_head.size() - 3), true,
       "upstream prematurely closed connection"},
      {"bad status", Frame(SPINDLE_FRAME_RESPONSE_HEAD, HeadPayload(42, 0, "")), false,
       "upstream sent invalid response head (invalid status code)"},
      // Interim statuses would split the response at the client.
      {"status 100", Frame(SPINDLE_FRAME_RESPONSE_HEAD, HeadPayload(100, 0, "")), false,
       "upstream sent invalid response head (invalid status code)"},
      {"status 101", Frame(SPINDLE_FRAME_RESPONSE_HEAD, HeadPayload(101, 0, "")), false,
       "upstream sent invalid response head (invalid status code)"},
      {"status 103", Frame(SPINDLE_FRAME_RESPONSE_HEAD, HeadPayload(103, 0, "")), false,
       "upstream sent invalid response head (invalid status code)"},
      {"status 199", Frame(SPINDLE_FRAME_RESPONSE_HEAD, HeadPayload(199, 0, "")), false,
       "upstream sent invalid response head (invalid status code)"},
      {"status 600", Frame(SPINDLE_FRAME_RESPONSE_HEAD, HeadPayload(600, 0, "")), false,
       "upstream sent invalid response head (invalid status code)"},
      {"end before head", ResponseEnd(), false,
       "upstream sent invalid frame (unexpected response end frame before the response head)"},
      {"body before head", ResponseBody("x"), false,
       "upstream sent invalid frame (unexpected response body frame before the response head)"},
      {"garbage", "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi", false,
       "upstream sent invalid frame header (unsupported protocol version)"},
      {"truncated field",
       Frame(SPINDLE_FRAME_RESPONSE_HEAD, HeadPayload(200, 2, Str("A") + Str("b"))), false,
       "upstream sent invalid response head (truncated field)"},
      {"trailing bytes",
       Frame(SPINDLE_FRAME_RESPONSE_HEAD, HeadPayload(200, 1, Str("A") + Str("b") + "zz")), false,
       "upstream sent invalid response head (trailing bytes after last field)"},
      {"bad header name",
       Frame(SPINDLE_FRAME_RESPONSE_HEAD, HeadPayload(200, 1, Str("Bad Name") + Str("v"))), false,
       "upstream sent invalid response head (invalid header name)"},
      {"header value splitting the response",
       Frame(SPINDLE_FRAME_RESPONSE_HEAD,
             HeadPayload(200, 1, Str("X-A") + Str("v\r\nSet-Cookie: evil=1"))),
       false, "upstream sent invalid response head (invalid header value)"},
      {"abort before head", Frame(SPINDLE_FRAME_ABORT, "out of memory"), false,
       "upstream aborted the request: \"out of memory\""},
      {"end before declared length",
       ResponseHead(200, {{"Content-Length", "10"}}) + ResponseEnd(), false,
       "end frame after 0 of 10 body bytes"},
  };
}

std::vector<BadReply> BodyCases() {
  const std::string head = ResponseHead(200, {{"Content-Type", "text/plain"}}) + ResponseBody("partial");
  return {
      {"body frame with a bad version", head + RawHeader(SPINDLE_PROTOCOL_VERSION - 1, SPINDLE_FRAME_RESPONSE_BODY, 0, 1) + "x",
       false, "upstream sent invalid frame header (unsupported protocol version)"},
      {"oversize body frame", head + RawHeader(SPINDLE_PROTOCOL_VERSION, SPINDLE_FRAME_RESPONSE_BODY, 0, 2 << 20), false,
       "upstream sent invalid frame header (frame too large)"},
      {"empty body frame", head + RawHeader(SPINDLE_PROTOCOL_VERSION, SPINDLE_FRAME_RESPONSE_BODY, 0, 0), false,
       "upstream sent invalid frame header (invalid frame length)"},
      {"request frame in the body", head + Frame(SPINDLE_FRAME_REQUEST_END, ""), false,
       "upstream sent invalid frame (unexpected request end frame in the response body)"},
      {"second head", head + ResponseHead(200, {}), false,
       "upstream sent invalid frame (unexpected response head frame in the response body)"},
      {"truncated body then close", head + RawHeader(SPINDLE_PROTOCOL_VERSION, SPINDLE_FRAME_RESPONSE_BODY, 0, 100) + "only",
       true, "upstream prematurely closed connection"},
      {"split frame header then close", head + RawHeader(SPINDLE_PROTOCOL_VERSION, SPINDLE_FRAME_RESPONSE_BODY, 0, 1).substr(0, 5),
       true, "upstream prematurely closed connection"},
      {"abort mid body", head + Frame(SPINDLE_FRAME_ABORT, "handler threw"), false,
       "upstream aborted the response"},
      {"more than Content-Length",
       ResponseHead(200, {{"Content-Length", "3"}}) + ResponseBody("abcdef") + ResponseEnd(), false,
       "upstream sent more data than specified in \"Content-Length\" header", false},
  };
}

// Serves /case/N from `cases`, anything else with a good reply.
FakeDaemon::Handler CaseHandler(const std::vector<BadReply>& cases) {
  return [&cases](FakeConnection& c, const FakeRequest& r) {
    const std::string prefix = "/case/";
    size_t at = r.uri.find(prefix);
    if (at == std::string::npos) {
      c.Send(Response(200, {}, "good"));
      return;
    }
    const BadReply& bad = cases.at(std::stoul(r.uri.substr(at + prefix.size())));
    c.Send(bad.bytes);
    if (bad.close) c.Close();
  };
}

const char* kLocations = R"(
    spindle_read_timeout 5s;
    location /b/ { spindle_pass fake; }
    location /nb/ { spindle_pass fake; spindle_buffering off; }
)";

TEST(ModuleMalformed, BadResponseHeadGives502AndALogLine) {
  const std::vector<BadReply> cases = HeadCases();
  ModuleRig rig(CaseHandler(cases), kLocations);
  HttpClient client(rig.nginx.port());
  int expected_accepts = 1;
  for (const char* loc : {"/b/", "/nb/"}) {
    for (size_t i = 0; i < cases.size(); i++) {
      SCOPED_TRACE(std::string(loc) + " " + cases[i].name);
      HttpResponse good = client.Send(Get(std::string(loc) + "good"));
      ASSERT_EQ(good.status, 200);
      ASSERT_EQ(good.body, "good");
      HttpRequest bad;
      bad.target = std::string(loc) + "case/" + std::to_string(i);
      HttpResponse resp = client.Send(bad);
      EXPECT_EQ(resp.status, 502);
      EXPECT_TRUE(rig.nginx.WaitForLog(cases[i].log)) << rig.nginx.ErrorLog();
      // nginx retries an error on a cached keepalive connection once on a
      // fresh one (ngx_http_upstream_next), so a close costs two.
      expected_accepts += cases[i].close ? 2 : 1;
      EXPECT_EQ(rig.daemon.accepts(), expected_accepts - 1);
    }
  }
  // The good replies reuse a connection; every bad one retired its own.
  HttpResponse last = client.Send(Get("/b/good"));
  EXPECT_EQ(last.status, 200);
  EXPECT_EQ(rig.daemon.accepts(), expected_accepts);
  EXPECT_FALSE(rig.nginx.WorkerCrashed()) << rig.nginx.ErrorLog();
}

TEST(ModuleMalformed, BadResponseBodyCutsTheResponseShort) {
  const std::vector<BadReply> cases = BodyCases();
  ModuleRig rig(CaseHandler(cases), kLocations);
  int expected_accepts = 1;
  for (const char* loc : {"/b/", "/nb/"}) {
    for (size_t i = 0; i < cases.size(); i++) {
      SCOPED_TRACE(std::string(loc) + " " + cases[i].name);
      HttpResponse good = HttpGet(rig.nginx.port(), std::string(loc) + "good");
      ASSERT_EQ(good.status, 200);
      // The head was fine, so nginx committed to a 200: the client gets it
      // cut short, or (when nginx had not flushed the header yet) nothing.
      try {
        HttpResponse resp = HttpGet(rig.nginx.port(), std::string(loc) + "case/" + std::to_string(i));
        EXPECT_EQ(resp.status, 200);
        if (cases[i].cut) {
          EXPECT_FALSE(resp.complete);
        }
        // at most what the daemon sent as body: "partial" (+ "only"), or "abc"
        EXPECT_LE(resp.body.size(), 11u);
      } catch (const std::runtime_error& e) {
        EXPECT_NE(std::string(e.what()).find("connection closed"), std::string::npos) << e.what();
      }
      EXPECT_TRUE(rig.nginx.WaitForLog(cases[i].log)) << rig.nginx.ErrorLog();
      expected_accepts++;
    }
  }
  EXPECT_EQ(HttpGet(rig.nginx.port(), "/b/good").status, 200);
  EXPECT_EQ(rig.daemon.accepts(), expected_accepts);
  EXPECT_FALSE(rig.nginx.WorkerCrashed()) << rig.nginx.ErrorLog();
}

TEST(ModuleMalformed, DataAfterTheEndFrameIsNotReused) {
  ModuleRig rig(
      [](FakeConnection& c, const FakeRequest& r) {
        std::string reply = Response(200, {}, "complete");
        if (r.uri.find("extra") != std::string::npos) reply += "trailing junk";
        c.Send(reply);
      },
      kLocations);
  for (const char* loc : {"/b/", "/nb/"}) {
    HttpResponse resp = HttpGet(rig.nginx.port(), std::string(loc) + "extra");
    EXPECT_EQ(resp.status, 200);
    EXPECT_EQ(resp.body, "complete");
    EXPECT_TRUE(rig.nginx.WaitForLog("upstream sent data after the response end frame"));
  }
  EXPECT_EQ(HttpGet(rig.nginx.port(), "/b/fine").status, 200);
  EXPECT_EQ(HttpGet(rig.nginx.port(), "/nb/fine").status, 200);
  // two bad connections retired, then one good one kept for both requests
  EXPECT_EQ(rig.daemon.accepts(), 3);
}

TEST(ModuleMalformed, DaemonGoneBeforeReplyingGives502) {
  ModuleRig rig([](FakeConnection& c, const FakeRequest&) { c.Close(); }, kLocations);
  for (const char* loc : {"/b/", "/nb/"}) {
    EXPECT_EQ(HttpGet(rig.nginx.port(), std::string(loc) + "x").status, 502);
  }
  EXPECT_TRUE(rig.nginx.WaitForLog("upstream prematurely closed connection"));
  EXPECT_FALSE(rig.nginx.WorkerCrashed());
}

}  // namespace
}  // namespace spindle::test
