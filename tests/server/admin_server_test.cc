// admin_server_test.cc: the admin socket (server/admin_server.hpp) on a real
// unix socket (and a loopback TCP port) opened by server/listener, served by
// the normal accept loop and Connection on a real Scheduler on its own
// thread, driven by blocking clients from the test thread: /metrics over
// plain HTTP (our client and curl) and over spindle frames encoded with the
// protocol codec; /status and /status.txt; keep-alive; the main config's
// limits and timeouts; malformed input of each kind; metrics disabled.
#include "server/admin_server.hpp"
#include "server/listener.hpp"
#include "observe/metrics_region.hpp"
#include "observe/recorder.hpp"

#include <spindle/fiber.hpp>
#include <spindle/offload.hpp>
#include <spindle/scheduler.hpp>

#include "prom_parser.hpp"

#include "temp_dir.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <spindle_protocol.h>

#include <netinet/in.h>
#include <malloc.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <future>
#include <string>
#include <thread>

namespace spindle::test {
namespace {

using namespace spindle::server;

using observe::MetricsRegion;
using observe::Recorder;
using observe::RequestToken;

using namespace std::chrono_literals;
namespace fs = std::filesystem;

// What these tests serve with: the main config's limits and timeouts apply
// to the admin socket.
config::Config TestConfig() {
  config::Config cfg;
  cfg.idle_timeout = 2s;
  cfg.limits.max_head_size = 16 * 1024;
  return cfg;
}

// A scheduler thread serving the admin socket until destroyed. Its main
// fiber parks in offload() on a future, then stops the server.
class AdminThread {
 public:
  AdminThread(const MetricsRegion* region, int listen_fd, config::Config cfg = TestConfig()) {
    std::shared_future<void> stop = stop_.get_future().share();
    thread_ = std::thread([region, listen_fd, cfg, stop] {
      Scheduler sched;
      sched.run([&] {
        AdminServer admin(cfg, listen_fd, region);
        offload([&] { stop.wait(); });
        admin.Stop();
      });
    });
  }
  ~AdminThread() {
    stop_.set_value();
    thread_.join();
  }

 private:
  std::promise<void> stop_;
  std::thread thread_;
};

int OpenUnix(const std::string& path, std::string* err) {
  config::ListenConfig c;
  c.path = path;
  ListenResult r = OpenListener(c);
  *err = r.error;
  return r.fd;
}

int ConnectUnix(const std::string& path) {
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

void SendAll(int fd, const std::string& data) {
  size_t off = 0;
  while (off < data.size()) {
    ssize_t n = send(fd, data.data() + off, data.size() - off, MSG_NOSIGNAL);
    if (n <= 0) return;  // the server may close early on malformed input
    off += static_cast<size_t>(n);
  }
}

// Reads until `done(buf)` or EOF (sets *eof) or 10 s without data.
std::string ReadUntil(int fd, const std::function<bool(const std::string&)>& done, bool* eof) {
  std::string buf;
  *eof = false;
  while (!done(buf)) {
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, 10000) <= 0) {
      ADD_FAILURE() << "no data from the admin socket within 10 s";
      break;
    }
    char tmp[8192];
    ssize_t n = recv(fd, tmp, sizeof tmp, 0);
    if (n <= 0) {
      *eof = true;
      break;
    }
    buf.append(tmp, static_cast<size_t>(n));
  }
  return buf;
}

std::string ReadToEof(int fd) {
  bool eof;
  std::string s = ReadUntil(fd, [](const std::string&) { return false; }, &eof);
  EXPECT_TRUE(eof);
  return s;
}

struct HttpReply {
  int status = 0;
  std::string head, body;
};

// One complete HTTP response (Content-Length framing) from the front of buf.
bool TakeHttpReply(std::string& buf, HttpReply* out) {
  size_t end = buf.find("\r\n\r\n");
  if (end == std::string::npos) return false;
  std::string head = buf.substr(0, end);
  size_t cl = head.find("Content-Length: ");
  if (cl == std::string::npos) return false;
  size_t len = std::stoul(head.substr(cl + 16));
  if (buf.size() < end + 4 + len) return false;
  out->head = head;
  out->status = std::stoi(head.substr(9, 3));
  out->body = buf.substr(end + 4, len);
  buf.erase(0, end + 4 + len);
  return true;
}

HttpReply HttpGet(int fd, const std::string& target, bool close = true) {
  SendAll(fd, "GET " + target + " HTTP/1.1\r\nHost: x\r\n" +
                  (close ? "Connection: close\r\n" : "") + "\r\n");
  bool eof;
  HttpReply r;
  std::string buf = ReadUntil(
      fd, [](const std::string& b) { std::string c = b; HttpReply t; return TakeHttpReply(c, &t); },
      &eof);
  EXPECT_TRUE(TakeHttpReply(buf, &r)) << buf;
  return r;
}

std::string SpindleRequest(const std::string& method, const std::string& uri) {
  spindle_field_t host{{"Host", 4}, {"x", 1}};
  spindle_request_head_t h{};
  h.content_length = -1;
  h.method = {method.data(), static_cast<uint32_t>(method.size())};
  h.uri = {uri.data(), static_cast<uint32_t>(uri.size())};
  const std::string path = uri.substr(0, uri.find('?'));
  h.path = {path.data(), static_cast<uint32_t>(path.size())};
  h.protocol = {"HTTP/1.1", 8};
  h.headers = &host;
  h.nheaders = 1;
  std::string out(SPINDLE_FRAME_HEADER_SIZE + spindle_request_head_size(&h) + SPINDLE_FRAME_HEADER_SIZE, '\0');
  auto* p = reinterpret_cast<uint8_t*>(out.data());
  p = spindle_request_head_encode(p, &h);
  spindle_frame_header_encode(p, SPINDLE_FRAME_REQUEST_END, 0);
  EXPECT_EQ(p + SPINDLE_FRAME_HEADER_SIZE, reinterpret_cast<uint8_t*>(out.data()) + out.size());
  return out;
}

struct SpindleReply {
  int status = 0;
  std::map<std::string, std::string> headers;
  std::string body;
  bool complete = false;
};

// Decodes RESPONSE_HEAD, RESPONSE_BODY*, RESPONSE_END from the connection.
SpindleReply ReadSpindleReply(int fd) {
  SpindleReply r;
  std::string buf;
  bool eof = false;
  auto frame = [&](spindle_frame_header_t* h) -> std::string {
    buf += ReadUntil(
        fd,
        [&](const std::string& b) {
          std::string all = buf + b;
          spindle_frame_header_t t;
          return spindle_frame_header_decode(reinterpret_cast<const uint8_t*>(all.data()),
                                             all.size(), nullptr, &t) == SPINDLE_OK &&
                 all.size() >= SPINDLE_FRAME_HEADER_SIZE + t.length;
        },
        &eof);
    if (spindle_frame_header_decode(reinterpret_cast<const uint8_t*>(buf.data()), buf.size(),
                                    nullptr, h) != SPINDLE_OK ||
        buf.size() < SPINDLE_FRAME_HEADER_SIZE + h->length) {
      h->type = 0;
      return {};
    }
    std::string payload = buf.substr(SPINDLE_FRAME_HEADER_SIZE, h->length);
    buf.erase(0, SPINDLE_FRAME_HEADER_SIZE + h->length);
    return payload;
  };
  spindle_frame_header_t h;
  std::string payload = frame(&h);
  if (h.type != SPINDLE_FRAME_RESPONSE_HEAD) return r;
  spindle_field_t fields[16];
  spindle_response_head_t rh{};
  rh.headers = fields;
  if (spindle_response_head_decode(reinterpret_cast<const uint8_t*>(payload.data()), payload.size(),
                                   &rh, 16) != SPINDLE_OK) {
    return r;
  }
  r.status = rh.status;
  for (uint16_t i = 0; i < rh.nheaders; ++i) {
    r.headers[std::string(fields[i].name.data, fields[i].name.len)] =
        std::string(fields[i].value.data, fields[i].value.len);
  }
  for (;;) {
    payload = frame(&h);
    if (h.type == SPINDLE_FRAME_RESPONSE_BODY) {
      r.body += payload;
    } else {
      r.complete = h.type == SPINDLE_FRAME_RESPONSE_END;
      return r;
    }
  }
}

class AdminServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string err;
    region_ = MetricsRegion::Create({2, 16}, &err);
    ASSERT_TRUE(region_) << err;
    region_->AttachWorker(0);
    Recorder rec(*region_, 0);
    uint32_t a = rec.RegisterRoute("GET", "/hello");
    for (int i = 0; i < 7; ++i) {
      rec.OnRequestEnd(rec.OnRequestStart(a), {a, 200, 5, 3ms, 0us});
    }
    inflight_ = rec.OnRequestStart(a);  // one still running, for /status
    sock_ = dir_.path("admin.sock");
    listen_fd_ = OpenUnix(sock_, &err);
    ASSERT_GE(listen_fd_, 0) << err;
    server_ = std::make_unique<AdminThread>(region_.get(), listen_fd_);
  }
  void TearDown() override {
    server_.reset();
    if (listen_fd_ >= 0) ::close(listen_fd_);
  }

  int Connect() {
    int fd = ConnectUnix(sock_);
    EXPECT_GE(fd, 0) << std::strerror(errno);
    return fd;
  }

  TempDir dir_;
  std::string sock_;
  std::unique_ptr<MetricsRegion> region_;
  RequestToken inflight_;
  int listen_fd_ = -1;
  std::unique_ptr<AdminThread> server_;
};

TEST_F(AdminServerTest, MetricsOverPlainHttp) {
  int fd = Connect();
  HttpReply r = HttpGet(fd, "/metrics");
  EXPECT_EQ(r.status, 200);
  EXPECT_NE(r.head.find("Content-Type: text/plain; version=0.0.4; charset=utf-8"), std::string::npos);
  auto p = test::ParsePrometheus(r.body);
  ASSERT_TRUE(p.ok()) << p.error;
  EXPECT_EQ(p.Value("spindle_requests_total", {{"method", "GET"}, {"route", "/hello"}, {"code", "200"}}), 7);
  EXPECT_EQ(p.Value("spindle_requests_in_flight"), 1);
  ReadToEof(fd);  // Connection: close honoured
  ::close(fd);
}

TEST_F(AdminServerTest, KeepAliveServesSeveralRequests) {
  int fd = Connect();
  HttpReply a = HttpGet(fd, "/metrics?per_worker=1", false);
  EXPECT_EQ(a.status, 200);
  auto p = test::ParsePrometheus(a.body);
  ASSERT_TRUE(p.ok()) << p.error;
  EXPECT_EQ(p.Value("spindle_requests_total",
                    {{"worker", "0"}, {"method", "GET"}, {"route", "/hello"}, {"code", "200"}}),
            7);
  HttpReply b = HttpGet(fd, "/status", false);
  EXPECT_EQ(b.status, 200);
  auto j = nlohmann::json::parse(b.body);
  ASSERT_EQ(j["workers"].size(), 1u);
  EXPECT_EQ(j["workers"][0]["pid"], getpid());
  EXPECT_EQ(j["workers"][0]["inflight"], 1);
  EXPECT_EQ(j["workers"][0]["requests"][0]["route"], "GET /hello");
  EXPECT_EQ(j["slowest"][0]["route"], "GET /hello");
  HttpReply c = HttpGet(fd, "/status.txt", false);
  EXPECT_EQ(c.status, 200);
  EXPECT_NE(c.body.find("GET /hello"), std::string::npos);
  HttpReply d = HttpGet(fd, "/nope", true);
  EXPECT_EQ(d.status, 404);
  ::close(fd);
}

// Bytes the process's heap has live. Under ASan freed blocks sit in its
// quarantine (RSS grows by hundreds of MiB for no leak), so ask its
// allocator; otherwise glibc's mallinfo2.
#if defined(__SANITIZE_ADDRESS__)
// From ASan's runtime (gcc ships no <sanitizer/allocator_interface.h>).
extern "C" size_t __sanitizer_get_current_allocated_bytes();
#endif

size_t LiveHeapBytes() {
#if defined(__SANITIZE_ADDRESS__)
  return __sanitizer_get_current_allocated_bytes();
#else
  struct mallinfo2 mi = mallinfo2();
  return mi.uordblks + mi.hblkhd;
#endif
}

// 300,000 pipelined requests (8 MiB) on one connection: the connection's
// buffer holds one request plus one read, not every byte received so far
// (measured as live heap with the connection still open).
TEST_F(AdminServerTest, PipelinedRequestsKeepTheBufferSmall) {
  const std::string one = "GET /nope HTTP/1.1\r\nHost: a\r\n\r\n";
  constexpr size_t kRequests = 300000;
  std::string all;
  all.reserve(one.size() * kRequests);
  for (size_t i = 0; i < kRequests; ++i) all += one;
  int fd = Connect();
  std::string tail;
  tail.reserve(1 << 17);
  const size_t before = LiveHeapBytes();
  std::thread writer([&] { SendAll(fd, all); });
  // Read every answer (discarding them) until the last one has arrived.
  size_t answers = 0;
  char buf[65536];
  while (answers < kRequests) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    ASSERT_GT(n, 0) << "after " << answers << " answers";
    tail.append(buf, static_cast<size_t>(n));
    size_t pos = 0, hit;
    while ((hit = tail.find("HTTP/1.1 404", pos)) != std::string::npos) {
      ++answers;
      pos = hit + 12;
    }
    tail.erase(0, pos > 0 ? pos : (tail.size() > 16 ? tail.size() - 16 : 0));
  }
  writer.join();
  // The connection is still open: its buffer is still allocated.
  const long growth_kib =
      (static_cast<long>(LiveHeapBytes()) - static_cast<long>(before)) / 1024;
  std::printf("[ admin ] live heap growth after %zu pipelined requests (%zu KiB sent): %ld KiB\n",
              kRequests, all.size() / 1024, growth_kib);
  EXPECT_LT(growth_kib, 4 * 1024);
  ::close(fd);
}

TEST_F(AdminServerTest, CurlReadsMetrics) {
  if (access("/usr/bin/curl", X_OK) != 0) GTEST_SKIP() << "curl not installed";
  std::string cmd = "/usr/bin/curl -sS --max-time 10 --unix-socket " + sock_ + " http://x/metrics";
  FILE* f = popen(cmd.c_str(), "r");
  ASSERT_NE(f, nullptr);
  std::string out;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, f)) > 0) out.append(buf, n);
  EXPECT_EQ(pclose(f), 0);
  auto p = test::ParsePrometheus(out);
  ASSERT_TRUE(p.ok()) << p.error;
  EXPECT_EQ(p.Sum("spindle_requests_total"), 7);
}

TEST_F(AdminServerTest, MetricsOverSpindleFrames) {
  int fd = Connect();
  // Two requests on one connection, as nginx's upstream keepalive would.
  for (int i = 0; i < 2; ++i) {
    SendAll(fd, SpindleRequest("GET", "/metrics"));
    SpindleReply r = ReadSpindleReply(fd);
    ASSERT_TRUE(r.complete);
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.headers["Content-Type"], "text/plain; version=0.0.4; charset=utf-8");
    EXPECT_EQ(r.headers["Content-Length"], std::to_string(r.body.size()));
    auto p = test::ParsePrometheus(r.body);
    ASSERT_TRUE(p.ok()) << p.error;
    EXPECT_EQ(p.Value("spindle_requests_total", {{"method", "GET"}, {"route", "/hello"}, {"code", "200"}}), 7);
  }
  SendAll(fd, SpindleRequest("POST", "/status"));
  SpindleReply r = ReadSpindleReply(fd);
  EXPECT_TRUE(r.complete);
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(r.headers["Allow"], "GET, HEAD");
  SendAll(fd, SpindleRequest("HEAD", "/status"));
  r = ReadSpindleReply(fd);
  EXPECT_TRUE(r.complete);
  EXPECT_EQ(r.status, 200);
  // Answered as GET, as for an app's GET route: nginx sends the client the
  // head only.
  EXPECT_NE(r.headers["Content-Length"], "0");
  EXPECT_EQ(r.headers["Content-Length"], std::to_string(r.body.size()));
  ::close(fd);
}

TEST_F(AdminServerTest, UnknownFirstByteCloses) {
  int fd = Connect();
  SendAll(fd, std::string("\x00\x01garbage", 9));
  EXPECT_EQ(ReadToEof(fd), "");
  ::close(fd);
}

TEST_F(AdminServerTest, MalformedSpindleFramesClose) {
  std::string bad_type("\x03\x09\x00\x00\x00\x00\x00\x00", 8);
  std::string bad_reserved("\x03\x01\x01\x00\x00\x00\x00\x00", 8);
  std::string too_long("\x03\x01\x00\x00\xff\xff\xff\x00", 8);  // head over the limit
  std::string end_first("\x03\x03\x00\x00\x00\x00\x00\x00", 8);  // END with no head
  std::string truncated_head = "\x03\x01" + std::string("\x00\x00\x04\x00\x00\x00", 6) + "abcd";
  std::string response_frame = std::string("\x03\x04\x00\x00\x00\x00\x00\x00", 8);
  std::string old_version("\x01\x01\x00\x00\x00\x00\x00\x00", 8);  // a version 1 module
  std::string version_2("\x02\x01\x00\x00\x00\x00\x00\x00", 8);    // a version 2 module
  static_assert(SPINDLE_PROTOCOL_VERSION == 3, "the frames above are version 3");
  for (const std::string& bad : {bad_type, bad_reserved, too_long, end_first, truncated_head,
                                 response_frame, old_version, version_2}) {
    int fd = Connect();
    SendAll(fd, bad);
    EXPECT_EQ(ReadToEof(fd), "");
    ::close(fd);
  }
  // A body frame with no request head.
  int fd = Connect();
  uint8_t hdr[SPINDLE_FRAME_HEADER_SIZE];
  spindle_frame_header_encode(hdr, SPINDLE_FRAME_REQUEST_BODY, 4);
  SendAll(fd, std::string(reinterpret_cast<char*>(hdr), sizeof hdr) + "abcd");
  EXPECT_EQ(ReadToEof(fd), "");
  ::close(fd);
}

// Framed requests over the main config's limits get the same answers as
// the apps' socket gives: 431 for a head over limits.max_head_size, with the
// connection kept.
TEST_F(AdminServerTest, FramedHeadOverTheLimitGets431) {
  int fd = Connect();
  const std::string big(20000, 'a');
  SendAll(fd, SpindleRequest("GET", "/metrics?" + big));
  SpindleReply r = ReadSpindleReply(fd);
  ASSERT_TRUE(r.complete);
  EXPECT_EQ(r.status, 431);
  SendAll(fd, SpindleRequest("GET", "/nope"));
  r = ReadSpindleReply(fd);
  ASSERT_TRUE(r.complete);
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.body, "Not Found\n");
  ::close(fd);
}

TEST_F(AdminServerTest, MalformedHttpGets400AndClose) {
  for (const std::string& bad : {std::string("GET /metrics\r\n\r\n"),
                                 std::string("GET /metrics HTTP/1.1 extra\r\n\r\n"),
                                 std::string("GET metrics HTTP/1.1\r\n\r\n"),
                                 std::string("GET /metrics HTTP/1.1\r\nno colon\r\n\r\n"),
                                 std::string("POST /metrics HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello"),
                                 std::string("GET /metrics HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n")}) {
    int fd = Connect();
    SendAll(fd, bad);
    std::string reply = ReadToEof(fd);
    EXPECT_EQ(reply.rfind("HTTP/1.1 400 ", 0), 0u) << bad << " -> " << reply;
    EXPECT_NE(reply.find("Connection: close"), std::string::npos);
    ::close(fd);
  }
}

TEST_F(AdminServerTest, OversizedHeadGets431AndClose) {
  int fd = Connect();
  SendAll(fd, "GET /metrics HTTP/1.1\r\nX-Big: " + std::string(20000, 'a'));
  std::string reply = ReadToEof(fd);
  EXPECT_EQ(reply.rfind("HTTP/1.1 431 ", 0), 0u) << reply.substr(0, 80);
  ::close(fd);
}

TEST_F(AdminServerTest, StalledRequestTimesOutAndCloses) {
  // idle_timeout is 2 s here; the read below waits up to 10 s for the close.
  int fd = Connect();
  SendAll(fd, "GET /metr");
  std::string reply = ReadToEof(fd);
  EXPECT_EQ(reply, "");
  ::close(fd);
  // The listener still serves afterwards.
  fd = Connect();
  EXPECT_EQ(HttpGet(fd, "/metrics").status, 200);
  ::close(fd);
}

// A partial frame is bounded by idle_timeout too, as on the apps' socket.
TEST_F(AdminServerTest, StalledFrameTimesOutAndCloses) {
  int fd = Connect();
  SendAll(fd, SpindleRequest("GET", "/metrics").substr(0, 20));
  EXPECT_EQ(ReadToEof(fd), "");
  ::close(fd);
}

TEST(AdminServerTcp, ServesALoopbackPort) {
  std::string err;
  auto region = MetricsRegion::Create({1, 8}, &err);
  ASSERT_TRUE(region) << err;
  config::ListenConfig l;
  l.host = "127.0.0.1";
  l.port = 0;  // a free port
  ListenResult opened = OpenListener(l);
  ASSERT_GE(opened.fd, 0) << opened.error;
  sockaddr_in a{};
  socklen_t len = sizeof a;
  ASSERT_EQ(getsockname(opened.fd, reinterpret_cast<sockaddr*>(&a), &len), 0);
  ASSERT_NE(a.sin_port, 0);
  {
    AdminThread server(region.get(), opened.fd);
    int c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    ASSERT_EQ(connect(c, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    HttpReply r = HttpGet(c, "/metrics");
    EXPECT_EQ(r.status, 200);
    EXPECT_TRUE(test::ParsePrometheus(r.body).ok());
    ::close(c);
  }
  ::close(opened.fd);
}

// metrics.enabled: false leaves no region: the pages say so with a 503 on
// both transports instead of hanging or closing.
TEST(AdminServerNoMetrics, PagesAnswer503) {
  TempDir dir;
  const std::string sock = dir.path("admin.sock");
  std::string err;
  int listen_fd = OpenUnix(sock, &err);
  ASSERT_GE(listen_fd, 0) << err;
  {
    AdminThread server(nullptr, listen_fd);
    int fd = ConnectUnix(sock);
    ASSERT_GE(fd, 0);
    HttpReply h = HttpGet(fd, "/metrics");
    EXPECT_EQ(h.status, 503);
    EXPECT_NE(h.body.find("metrics.enabled"), std::string::npos) << h.body;
    ::close(fd);
    fd = ConnectUnix(sock);
    SendAll(fd, SpindleRequest("GET", "/status"));
    SpindleReply r = ReadSpindleReply(fd);
    ASSERT_TRUE(r.complete);
    EXPECT_EQ(r.status, 503);
    ::close(fd);
  }
  ::close(listen_fd);
}

// The answers both transports send, decided in one place.
TEST(AdminAnswer, PagesMethodsAndQueries) {
  std::string err;
  auto region = MetricsRegion::Create({1, 8}, &err);
  ASSERT_TRUE(region) << err;
  EXPECT_EQ(AnswerAdminRequest(region.get(), "GET", "/metrics").status, 200);
  EXPECT_EQ(AnswerAdminRequest(region.get(), "HEAD", "/status.txt").status, 200);
  EXPECT_EQ(AnswerAdminRequest(region.get(), "GET", "/status?x=1").content_type,
            "application/json");
  EXPECT_EQ(AnswerAdminRequest(region.get(), "GET", "/metricsx").status, 404);
  EXPECT_EQ(AnswerAdminRequest(region.get(), "GET", "/metrics/").status, 404);
  PlainHttpReply post = AnswerAdminRequest(region.get(), "POST", "/metrics");
  EXPECT_EQ(post.status, 405);
  EXPECT_EQ(post.allow, "GET, HEAD");
  EXPECT_EQ(AnswerAdminRequest(nullptr, "GET", "/metrics").status, 503);
}

}  // namespace
}  // namespace spindle::test
