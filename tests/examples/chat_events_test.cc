// The chat's server-sent events end to end (HTTP client -> nginx -> spindled
// with two workers -> examples/chat -> redis-server): the stored messages
// then the new ones, with ids; Last-Event-ID resumes after the last one
// seen; heartbeat comments keep an idle stream alive through nginx; a
// reload while 200 streams are open completes in under 2 s because the
// streams end when the old workers begin to drain, and the clients'
// reconnects (with Last-Event-ID) are served by the new workers.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <future>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "examples_stack.hpp"

namespace spindle::test {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

class ChatEvents : public ::testing::Test {
 protected:
  void SetUp() override { stack_ = std::make_unique<ExamplesStack>(); }
  void TearDown() override { stack_.reset(); }
  uint16_t port() const { return stack_->port(); }
  DaemonHarness& daemon() { return *stack_->daemon; }

  void Post(const std::string& room, const std::string& text) {
    auto r = PostJson(port(), "/chat/rooms/" + room + "/messages",
                      nlohmann::json{{"user", "u"}, {"text", text}}.dump());
    ASSERT_EQ(r.status, 201) << r.body;
  }
  std::unique_ptr<ExamplesStack> stack_;
};

TEST_F(ChatEvents, StoredThenNewMessagesWithIds) {
  Post("ev", "first");
  Post("ev", "second");
  auto got = Listen(port(), "/chat/rooms/ev/events",
                    [](const std::string& b) { return Count(b, "event: message\n") >= 3; });
  std::this_thread::sleep_for(300ms);  // the stream has sent the history and waits
  Post("ev", "third\nwith a second line");
  ASSERT_EQ(got.wait_for(15s), std::future_status::ready);
  std::string body = got.get();
  EXPECT_NE(body.find("id: 1\nevent: message\ndata: "), std::string::npos) << body;
  EXPECT_NE(body.find("id: 2\nevent: message\ndata: "), std::string::npos) << body;
  EXPECT_NE(body.find("id: 3\nevent: message\ndata: "), std::string::npos) << body;
  // The message is JSON on one data: line (its newline is escaped).
  size_t p = body.find("id: 3\nevent: message\ndata: ");
  std::string line = body.substr(p + 27, body.find('\n', p + 27) - (p + 27));
  nlohmann::json m = nlohmann::json::parse(line, nullptr, false);
  EXPECT_EQ(m["text"], "third\nwith a second line") << line;
  EXPECT_EQ(m["id"], 3);
}

TEST_F(ChatEvents, LastEventIdResumesAfterTheLastSeen) {
  for (int i = 1; i <= 4; ++i) Post("resume", "m" + std::to_string(i));
  auto got = Listen(
      port(), "/chat/rooms/resume/events",
      [](const std::string& b) { return Count(b, "event: message\n") >= 2; },
      {{"Last-Event-ID", "2"}});
  ASSERT_EQ(got.wait_for(15s), std::future_status::ready);
  std::string body = got.get();
  EXPECT_EQ(body.find("id: 1\n"), std::string::npos) << body;
  EXPECT_EQ(body.find("id: 2\n"), std::string::npos) << body;
  EXPECT_LT(body.find("id: 3\n"), body.find("id: 4\n")) << body;
  EXPECT_NE(body.find("\"text\":\"m3\""), std::string::npos) << body;
}

TEST_F(ChatEvents, HeartbeatsKeepAnIdleStreamOpen) {
  // /chatshort beats every 200 ms.
  auto t0 = Clock::now();
  auto got = Listen(port(), "/chatshort/rooms/quiet/events",
                    [](const std::string& b) { return Count(b, ":\n\n") >= 3; });
  ASSERT_EQ(got.wait_for(15s), std::future_status::ready);
  std::string body = got.get();
  EXPECT_EQ(body, ":\n\n:\n\n:\n\n");
  EXPECT_GE(Clock::now() - t0, 500ms);
  EXPECT_LT(Clock::now() - t0, 3s);
}

// A raw HTTP/1.1 client per stream, all driven by one thread with poll().
struct RawStream {
  int fd = -1;
  std::string in;
  bool ended = false;  // the chunked body's last chunk arrived
};

int ConnectTcp(uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// Reads what is there on every stream until `done()` or `timeout`.
template <class Done>
bool Pump(std::vector<RawStream>& streams, Done done, std::chrono::milliseconds timeout) {
  auto until = Clock::now() + timeout;
  while (!done()) {
    if (Clock::now() > until) return false;
    std::vector<pollfd> pfds;
    for (auto& s : streams) pfds.push_back({s.fd, POLLIN, 0});
    ::poll(pfds.data(), pfds.size(), 50);
    for (size_t i = 0; i < streams.size(); ++i) {
      if (!(pfds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      char buf[4096];
      ssize_t n = ::recv(streams[i].fd, buf, sizeof(buf), MSG_DONTWAIT);
      if (n > 0) streams[i].in.append(buf, static_cast<size_t>(n));
      if (n == 0 || streams[i].in.find("\r\n0\r\n\r\n") != std::string::npos) {
        streams[i].ended = true;
      }
    }
  }
  return true;
}

TEST_F(ChatEvents, ReloadDuringTwoHundredStreamsCompletesUnderTwoSeconds) {
  constexpr size_t kStreams = 200;
  Post("crowd", "before the reload");
  std::vector<RawStream> streams(kStreams);
  for (auto& s : streams) {
    s.fd = ConnectTcp(port());
    ASSERT_GE(s.fd, 0);
    const std::string req =
        "GET /chat/rooms/crowd/events HTTP/1.1\r\nHost: t\r\nAccept: text/event-stream\r\n\r\n";
    ASSERT_EQ(::send(s.fd, req.data(), req.size(), MSG_NOSIGNAL), static_cast<ssize_t>(req.size()));
  }
  // Every stream is open and has the stored message.
  ASSERT_TRUE(Pump(streams, [&] {
    for (auto& s : streams) {
      if (s.in.find("id: 1\n") == std::string::npos) return false;
    }
    return true;
  }, 30s)) << daemon().Log();
  for (auto& s : streams) ASSERT_NE(s.in.find("text/event-stream"), std::string::npos) << s.in;

  auto t0 = Clock::now();
  ASSERT_EQ(::kill(daemon().pid(), SIGHUP), 0);
  ASSERT_TRUE(daemon().WaitForLog("reload done, generation '2' serving", 10s)) << daemon().Log();
  ASSERT_TRUE(daemon().WaitForLog("generation '1' has drained", 10s)) << daemon().Log();
  auto reload = Clock::now() - t0;
  std::printf("[chat events] reload with %zu open streams: %lld ms\n", kStreams,
              static_cast<long long>(std::chrono::duration_cast<std::chrono::milliseconds>(reload).count()));
  EXPECT_LT(reload, 2s) << daemon().Log();
  // Every stream was ended cleanly (the chunked body's end, not a reset).
  ASSERT_TRUE(Pump(streams, [&] {
    for (auto& s : streams) if (!s.ended) return false;
    return true;
  }, 5s));
  size_t clean = 0;
  for (auto& s : streams) clean += s.in.find("\r\n0\r\n\r\n") != std::string::npos;
  EXPECT_EQ(clean, kStreams);
  for (auto& s : streams) ::close(s.fd);

  // A reconnect with Last-Event-ID is served by the new generation and
  // gets what was posted meanwhile.
  Post("crowd", "after the reload");
  auto got = Listen(
      port(), "/chat/rooms/crowd/events",
      [](const std::string& b) { return Count(b, "event: message\n") >= 1; },
      {{"Last-Event-ID", "1"}});
  ASSERT_EQ(got.wait_for(15s), std::future_status::ready);
  std::string body = got.get();
  EXPECT_NE(body.find("id: 2\n"), std::string::npos) << body;
  EXPECT_NE(body.find("after the reload"), std::string::npos) << body;
}

}  // namespace
}  // namespace spindle::test
