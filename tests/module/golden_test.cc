// Golden-vector tests through the module's production encoder and decoder:
// requests that nginx turns into exactly the frames of
// tests/data/protocol/request_head_get.hex and request_post_body.hex (the
// FakeDaemon records the bytes as they arrive), and the bytes of
// response_ok.hex sent back as the reply, which the module must decode into
// the HTTP response they describe. tests/protocol/codec_test.cc holds the
// codec's own checks on the same files.
#include <gtest/gtest.h>

#include <string>

#include "golden.hpp"
#include "module_rig.hpp"

namespace spindle::test {
namespace {

// /hello: the GET vector's one param; /up: the POST vector has no params
// and no headers, and its body arrives in two frames as sent.
const char* kGoldenLocations = R"(
    location /hello { spindle_pass fake; spindle_param SCRIPT_NAME ""; }
    location /up {
      spindle_pass fake;
      spindle_pass_request_headers off;
      spindle_request_buffering off;
    }
)";

void ReplyWithGoldenResponse(FakeConnection& c, const FakeRequest&) {
  c.Send(ReadGolden("response_ok.hex"));
}

void ExpectGoldenResponse(const HttpResponse& resp) {
  EXPECT_EQ(resp.status, 200);
  EXPECT_EQ(resp.Header("Content-Type"), "text/plain");
  EXPECT_EQ(resp.body, "Hello");
}

std::string RequestEnd() { return std::string("\x03\x03\0\0\0\0\0\0", 8); }

TEST(ModuleGolden, GetIsTheRequestHeadVectorAndTheResponseVectorDecodes) {
  ModuleRig rig(ReplyWithGoldenResponse, kGoldenLocations);
  HttpClient client(rig.nginx.port());
  client.SendRaw("GET /hello?x=1 HTTP/1.1\r\nHost: a\r\n\r\n");
  HttpResponse resp = client.ReadResponse();
  ExpectGoldenResponse(resp);
  auto reqs = rig.daemon.requests();
  ASSERT_EQ(reqs.size(), 1u) << rig.nginx.ErrorLog();
  // A bodiless request's REQUEST_END follows its head in the same write.
  EXPECT_EQ(Hex(reqs[0].wire), Hex(ReadGolden("request_head_get.hex") + RequestEnd()));
}

TEST(ModuleGolden, PostIsTheBodyVector) {
  ModuleRig rig(ReplyWithGoldenResponse, kGoldenLocations);
  HttpClient client(rig.nginx.port());
  client.SendRaw("POST /up HTTP/1.0\r\nContent-Length: 5\r\n\r\nhe");
  // The second piece only once the first reached the daemon as its own frame.
  ASSERT_TRUE(FakeDaemon::WaitFor([&] { return rig.daemon.body_frames_seen() >= 1; }))
      << rig.nginx.ErrorLog();
  client.SendRaw("llo");
  HttpResponse resp = client.ReadResponse();
  ExpectGoldenResponse(resp);
  auto reqs = rig.daemon.requests();
  ASSERT_EQ(reqs.size(), 1u) << rig.nginx.ErrorLog();
  EXPECT_EQ(Hex(reqs[0].wire), Hex(ReadGolden("request_post_body.hex")));
}

}  // namespace
}  // namespace spindle::test
