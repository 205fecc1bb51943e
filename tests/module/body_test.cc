// Request body tests: bodies of 0 B, 1 KiB and 10 MiB reach the FakeDaemon
// intact as REQUEST_BODY frames (none over the protocol's frame limit) with
// spindle_request_buffering on and off, with the body in memory, in a temp
// file, and sent with sendfile; chunked and Content-Length uploads with
// request buffering off are streamed: the daemon sees each piece before the
// client sends the next.
#include <gtest/gtest.h>

#include <string>

#include "module_rig.hpp"
#include "spindle_protocol.h"

namespace spindle::test {
namespace {

std::string Pattern(size_t n) {
  std::string s(n, '\0');
  uint32_t x = 2463534242u;
  for (size_t i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    s[i] = static_cast<char>(x);
  }
  return s;
}

const char* kBodyLocations = R"(
    client_max_body_size 64m;
    location /on/ { spindle_pass fake; }
    location /off/ { spindle_pass fake; spindle_request_buffering off; }
    location /mem/ { spindle_pass fake; client_body_buffer_size 16m; sendfile on; }
    location /file/ { spindle_pass fake; client_body_in_file_only clean; sendfile on; }
    location /nobody/ { spindle_pass fake; spindle_pass_request_body off; }
)";

void EchoLength(FakeConnection& c, const FakeRequest& r) {
  c.Send(Response(200, {{"Content-Type", "text/plain"}}, std::to_string(r.body.size())));
}

TEST(ModuleBody, BodiesOfEverySizeAndBufferingMode) {
  ModuleRig rig(EchoLength, kBodyLocations);
  HttpClient client(rig.nginx.port(), "127.0.0.1", std::chrono::seconds(30));
  size_t expected_requests = 0;
  for (const char* loc : {"/on/", "/off/", "/mem/", "/file/"}) {
    for (size_t size : {size_t{0}, size_t{1024}, size_t{10} << 20}) {
      const std::string body = Pattern(size);
      HttpRequest req;
      req.method = "POST";
      req.target = std::string(loc) + std::to_string(size);
      req.body = body;
      req.send_content_length_zero = true;
      HttpResponse resp = client.Send(req);
      ASSERT_EQ(resp.status, 200) << loc << size << "\n" << rig.nginx.ErrorLog();
      EXPECT_EQ(resp.body, std::to_string(size)) << loc << size;
      auto reqs = rig.daemon.requests();
      ASSERT_EQ(reqs.size(), ++expected_requests);
      const FakeRequest& r = reqs.back();
      EXPECT_TRUE(r.ended) << loc << size;
      EXPECT_TRUE(r.body == body) << loc << size << ": body differs";
      EXPECT_EQ(r.content_length, static_cast<int64_t>(size)) << loc << size;
      EXPECT_EQ(r.flags, size ? SPINDLE_REQUEST_HAS_BODY : 0) << loc << size;
      if (size == 0) {
        EXPECT_TRUE(r.body_frames.empty()) << loc;
      }
      for (size_t f : r.body_frames) {
        EXPECT_GT(f, 0u) << loc << size;
        EXPECT_LE(f, static_cast<size_t>(SPINDLE_MAX_BODY_FRAME)) << loc << size;
      }
    }
  }
  // All on one kept-alive daemon connection: each body was fully consumed.
  EXPECT_EQ(rig.daemon.accepts(), 1);
  EXPECT_FALSE(rig.nginx.WorkerCrashed());
}

TEST(ModuleBody, PassRequestBodyOff) {
  ModuleRig rig(EchoLength, kBodyLocations);
  HttpRequest req;
  req.method = "POST";
  req.target = "/nobody/";
  req.body = "not for the app";
  HttpResponse resp = HttpSend(rig.nginx.port(), req);
  EXPECT_EQ(resp.status, 200);
  EXPECT_EQ(resp.body, "0");
  auto reqs = rig.daemon.requests();
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0].flags, 0);
  EXPECT_TRUE(reqs[0].body_frames.empty());
}

// Sends a body in three pieces; before each next piece, waits until the
// daemon has received one more body frame. With request buffering that
// wait could never succeed: nginx would hold every piece until the last.
void StreamedUpload(bool chunked) {
  ModuleRig rig(EchoLength, kBodyLocations);
  const std::string pieces[] = {"first piece;", "second piece;", "third piece"};
  const std::string whole = pieces[0] + pieces[1] + pieces[2];
  HttpClient client(rig.nginx.port());
  std::string head = "POST /off/upload HTTP/1.1\r\nHost: localhost\r\n";
  head += chunked ? "Transfer-Encoding: chunked\r\n"
                  : "Content-Length: " + std::to_string(whole.size()) + "\r\n";
  client.SendRaw(head + "\r\n");
  for (size_t i = 0; i < 3; i++) {
    char size_line[32];
    snprintf(size_line, sizeof(size_line), "%zx\r\n", pieces[i].size());
    client.SendRaw(chunked ? size_line + pieces[i] + "\r\n" : pieces[i]);
    if (i < 2) {
      ASSERT_TRUE(FakeDaemon::WaitFor([&] { return rig.daemon.body_frames_seen() >= i + 1; }))
          << "piece " << i << " did not reach the daemon before the next was sent";
    }
  }
  if (chunked) client.SendRaw("0\r\n\r\n");
  HttpResponse resp = client.ReadResponse();
  EXPECT_EQ(resp.status, 200);
  EXPECT_EQ(resp.body, std::to_string(whole.size()));
  auto reqs = rig.daemon.requests();
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0].body, whole);
  EXPECT_GE(reqs[0].body_frames.size(), 3u);
  EXPECT_EQ(reqs[0].content_length, chunked ? -1 : static_cast<int64_t>(whole.size()));
  EXPECT_EQ(reqs[0].flags, SPINDLE_REQUEST_HAS_BODY);
  EXPECT_TRUE(reqs[0].ended);
}

TEST(ModuleBody, ChunkedUploadIsStreamedWithRequestBufferingOff) { StreamedUpload(true); }

TEST(ModuleBody, ContentLengthUploadIsStreamedWithRequestBufferingOff) {
  StreamedUpload(false);
}

TEST(ModuleBody, ChunkedUploadWithRequestBufferingOn) {
  ModuleRig rig(EchoLength, kBodyLocations);
  HttpRequest req;
  req.method = "PUT";
  req.target = "/on/upload";
  req.chunks = {"abc", Pattern(100000), "xyz"};
  HttpResponse resp = HttpSend(rig.nginx.port(), req);
  EXPECT_EQ(resp.status, 200);
  auto reqs = rig.daemon.requests();
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_TRUE(reqs[0].body == req.chunks[0] + req.chunks[1] + req.chunks[2]);
  EXPECT_EQ(reqs[0].content_length, 100006);  // known once buffered
}

TEST(ModuleBody, EmptyChunkedUploadWithRequestBufferingOff) {
  ModuleRig rig(EchoLength, kBodyLocations);
  HttpClient client(rig.nginx.port());
  client.SendRaw("POST /off/empty HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n");
  HttpResponse resp = client.ReadResponse();
  EXPECT_EQ(resp.status, 200);
  EXPECT_EQ(resp.body, "0");
  auto reqs = rig.daemon.requests();
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_TRUE(reqs[0].ended);
  EXPECT_TRUE(reqs[0].body.empty());
  // nginx may have the whole (empty) body before the head is built
  EXPECT_TRUE(reqs[0].content_length == -1 || reqs[0].content_length == 0)
      << reqs[0].content_length;
}

}  // namespace
}  // namespace spindle::test
