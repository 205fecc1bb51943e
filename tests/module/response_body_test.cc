// Response body tests: large replies in frames of many sizes (so frame
// headers land across read boundaries) arrive intact with spindle_buffering
// on (through the event pipe, spilling to a temp file while the client does
// not read) and off (u->buffer, with back-pressure), and the connection is
// reused afterwards.
#include <gtest/gtest.h>

#include <atomic>
#include <string>

#include "module_rig.hpp"

namespace spindle::test {
namespace {

std::string Pattern(size_t n, uint32_t seed) {
  std::string s(n, '\0');
  uint32_t x = seed | 1;
  for (size_t i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    s[i] = static_cast<char>(x);
  }
  return s;
}

// /<loc>/<frame size>[?<body size>]: a body (3 MiB by default) in frames
// of that size.
const size_t kBodySize = 3 << 20;

void BigReply(std::atomic<int>& sent, FakeConnection& c, const FakeRequest& r) {
  size_t q = r.uri.find('?');
  size_t frame = std::stoul(r.uri.substr(r.uri.rfind('/', q) + 1));
  size_t size = q == std::string::npos ? kBodySize : std::stoul(r.uri.substr(q + 1));
  c.Send(Response(200, {{"Content-Type", "application/octet-stream"}}, Pattern(size, 7), frame));
  sent++;
}

TEST(ModuleResponseBody, LargeBodiesInFramesOfEverySize) {
  std::atomic<int> sent{0};
  ModuleRig rig([&](FakeConnection& c, const FakeRequest& r) { BigReply(sent, c, r); }, R"(
    location /b/ { spindle_pass fake; spindle_buffers 4 4k; spindle_buffer_size 4k; }
    location /nb/ { spindle_pass fake; spindle_buffering off; spindle_buffer_size 4k; }
  )");
  const std::string want = Pattern(kBodySize, 7);
  HttpClient client(rig.nginx.port(), "127.0.0.1", std::chrono::seconds(30));
  int n = 0;
  for (const char* loc : {"/b/", "/nb/"}) {
    for (size_t frame : {size_t{1} << 20, size_t{65536}, size_t{4093}, size_t{1000}}) {
      HttpResponse resp = client.Send(Get(std::string(loc) + std::to_string(frame)));
      n++;
      ASSERT_EQ(resp.status, 200) << loc << frame;
      EXPECT_TRUE(resp.complete) << loc << frame;
      EXPECT_TRUE(resp.body == want) << loc << frame << ": body differs, " << resp.body.size()
                                     << " bytes";
    }
  }
  // the daemon thread counts a reply after its last write returns
  EXPECT_TRUE(FakeDaemon::WaitFor([&] { return sent.load() == n; })) << sent.load();
  EXPECT_EQ(rig.daemon.accepts(), 1);
  EXPECT_FALSE(rig.nginx.WorkerCrashed());
}

TEST(ModuleResponseBody, BufferedReplySpillsToATempFileWhileTheClientWaits) {
  std::atomic<int> sent{0};
  // A small send buffer to the client, so that the kernel cannot take
  // the whole reply off nginx's hands.
  ModuleRig rig([&](FakeConnection& c, const FakeRequest& r) { BigReply(sent, c, r); }, "", R"(
    server {
      listen 127.0.0.1:${PORT} sndbuf=16k;
      location /b/ { spindle_pass fake; spindle_buffers 4 4k; }
    }
  )");
  HttpClient client(rig.nginx.port(), "127.0.0.1", std::chrono::seconds(30));
  client.SendRequest(Get("/b/7777?1048576"));
  // Not reading yet: nginx must take the whole reply off the daemon anyway.
  ASSERT_TRUE(FakeDaemon::WaitFor([&] { return sent.load() == 1; }));
  HttpResponse resp = client.ReadResponse();
  EXPECT_EQ(resp.status, 200);
  EXPECT_TRUE(resp.body == Pattern(1 << 20, 7));
  EXPECT_TRUE(rig.nginx.WaitForLog("an upstream response is buffered to a temporary file"));
  // and the connection went back to the pool
  EXPECT_EQ(client.Send(Get("/b/65536")).status, 200);
  EXPECT_EQ(rig.daemon.accepts(), 1);
}

}  // namespace
}  // namespace spindle::test
