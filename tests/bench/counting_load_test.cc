// counting_load_test.cc: bench/load/counting_load against the real nginx and
// plain sockets, each answer class on its own: 200s, a 503 for every
// request, nginx's `return 444` (the connection closed with no answer: a
// reset), a closed port (connect failures), a listener that never answers
// (timeouts), a --rate cap and a ramp with its per-second timeline. Every
// request sent is in exactly one class. longpoll_hold against a small
// server in the test that holds every request until the notify arrives.
#include "nginx_harness.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

namespace spindle::test {
namespace {

// Runs `cmd`, returns its stdout; fails the test if it exits non-zero.
std::string RunCommand(const std::string& cmd) {
  FILE* f = popen(cmd.c_str(), "r");
  EXPECT_NE(f, nullptr);
  std::string out;
  char buf[4096];
  size_t n;
  while (f && (n = fread(buf, 1, sizeof buf, f)) > 0) out.append(buf, n);
  EXPECT_EQ(f ? pclose(f) : -1, 0) << cmd;
  return out;
}

nlohmann::json RunLoad(const std::string& args) {
  return nlohmann::json::parse(RunCommand(std::string(COUNTING_LOAD) + " --json " + args));
}

uint64_t NonOk(const nlohmann::json& j) {
  uint64_t n = 0;
  for (const auto& [code, count] : j["non2xx"].items()) n += count.get<uint64_t>();
  return n;
}

// Every request sent ends in exactly one class.
void ExpectAccounted(const nlohmann::json& j) {
  EXPECT_EQ(j["sent"].get<uint64_t>(),
            j["ok"].get<uint64_t>() + NonOk(j) + j["reset"].get<uint64_t>() +
                j["timeout"].get<uint64_t>() + j["bad"].get<uint64_t>() +
                j["in_flight_at_end"].get<uint64_t>())
      << j.dump();
}

// A TCP socket bound to a free loopback port (*port), not listening yet.
int BindLoopback(uint16_t* port) {
  int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  if (s < 0 || bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
      getsockname(s, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
    if (s >= 0) ::close(s);
    return -1;
  }
  *port = ntohs(a.sin_port);
  return s;
}

class CountingLoad : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    NginxOptions o;
    o.load_module = false;
    o.server =
        "location = /ok { default_type text/plain; return 200 \"Hello, World!\"; }\n"
        "location = /busy { return 503; }\n"
        "location = /drop { return 444; }\n";
    nginx_ = new NginxHarness(o);
  }
  static void TearDownTestSuite() {
    delete nginx_;
    nginx_ = nullptr;
  }
  static std::string Url(const std::string& path) {
    return "http://127.0.0.1:" + std::to_string(nginx_->port()) + path;
  }
  static NginxHarness* nginx_;
};
NginxHarness* CountingLoad::nginx_ = nullptr;

TEST_F(CountingLoad, AnswersAreOk) {
  nlohmann::json j = RunLoad("-c 8 -d 1 " + Url("/ok"));
  EXPECT_GT(j["ok"].get<uint64_t>(), 100u) << j.dump();
  EXPECT_EQ(NonOk(j) + j["reset"].get<uint64_t>() + j["timeout"].get<uint64_t>() +
                j["connect_failed"].get<uint64_t>(), 0u) << j.dump();
  EXPECT_LE(j["in_flight_at_end"].get<uint64_t>(), 8u);
  EXPECT_EQ(j["error_share"].get<double>(), 0.0);
  ExpectAccounted(j);
}

TEST_F(CountingLoad, ErrorStatusesAreCountedByCode) {
  nlohmann::json j = RunLoad("-c 4 -d 1 " + Url("/busy"));
  EXPECT_EQ(j["ok"].get<uint64_t>(), 0u);
  EXPECT_GT(j["non2xx"]["503"].get<uint64_t>(), 100u) << j.dump();
  EXPECT_GT(j["error_share"].get<double>(), 0.99);
  ExpectAccounted(j);
}

TEST_F(CountingLoad, AConnectionClosedWithoutAnAnswerIsAReset) {
  nlohmann::json j = RunLoad("-c 4 -d 1 --reconnect-ms 1 " + Url("/drop"));
  EXPECT_EQ(j["ok"].get<uint64_t>(), 0u);
  EXPECT_GT(j["reset"].get<uint64_t>(), 10u) << j.dump();
  EXPECT_EQ(j["timeout"].get<uint64_t>(), 0u);
  ExpectAccounted(j);
}

TEST_F(CountingLoad, ARateCapHoldsTheRate) {
  nlohmann::json j = RunLoad("-c 8 -d 2 --rate 500 " + Url("/ok"));
  const double rate = j["ok_per_s"].get<double>();
  EXPECT_GT(rate, 400) << j.dump();
  EXPECT_LT(rate, 560) << j.dump();
  ExpectAccounted(j);
}

// The ramp raises the rate cap from 10% to 100% over --ramp seconds; the
// timeline has one entry per second and adds up to the totals.
TEST_F(CountingLoad, ARampRisesAndTheTimelineAddsUp) {
  nlohmann::json j = RunLoad("-c 8 -d 4 --rate 1000 --ramp 2 --timeline " + Url("/ok"));
  const auto& t = j["timeline"];
  ASSERT_EQ(t.size(), 4u) << j.dump();
  uint64_t ok = 0;
  for (const auto& s : t) ok += s["ok"].get<uint64_t>();
  EXPECT_EQ(ok, j["ok"].get<uint64_t>());
  // Second 0 averages 10%..55% of the cap (~325/s); seconds 2 and 3 hold it.
  EXPECT_LT(t[0]["ok"].get<uint64_t>(), 500u) << j.dump();
  EXPECT_GT(t[0]["ok"].get<uint64_t>(), 150u) << j.dump();
  EXPECT_GT(t[3]["ok"].get<uint64_t>(), 850u) << j.dump();
  EXPECT_LT(t[3]["ok"].get<uint64_t>(), 1100u) << j.dump();
  EXPECT_EQ(t[3]["rate_cap"].get<double>(), 1000);
  EXPECT_EQ(t[3]["errors"].get<uint64_t>(), 0u);
  ExpectAccounted(j);
}

TEST_F(CountingLoad, TheTimelineCountsErrorsInTheirSecond) {
  nlohmann::json j = RunLoad("-c 2 -d 2 --timeline " + Url("/busy"));
  ASSERT_EQ(j["timeline"].size(), 2u) << j.dump();
  uint64_t errors = 0;
  for (const auto& s : j["timeline"]) errors += s["errors"].get<uint64_t>();
  EXPECT_EQ(errors, j["non2xx"]["503"].get<uint64_t>());
}

// A request sent during the warm-up and never answered is not lost from
// the figures: it is counted apart at the end.
TEST(CountingLoadSockets, AWarmUpRequestNeverAnsweredIsCountedAtTheEnd) {
  uint16_t port = 0;
  int s = BindLoopback(&port);
  ASSERT_GE(s, 0);
  ASSERT_EQ(listen(s, 64), 0);
  nlohmann::json j = RunLoad("-c 3 -d 1 --warmup 0.5 --timeout 10000 http://127.0.0.1:" +
                             std::to_string(port) + "/");
  ::close(s);
  EXPECT_EQ(j["sent"].get<uint64_t>(), 0u) << j.dump();
  EXPECT_EQ(j["in_flight_at_end"].get<uint64_t>(), 0u);
  EXPECT_EQ(j["warmup_in_flight_at_end"].get<uint64_t>(), 3u) << j.dump();
}

// A port nobody listens on: every attempt is a connect failure, nothing is
// "sent", and the share of errors is 1.
TEST(CountingLoadSockets, AClosedPortIsConnectFailures) {
  uint16_t port = 0;
  int s = BindLoopback(&port);
  ASSERT_GE(s, 0);
  ::close(s);  // bound once, now free: connections are refused
  nlohmann::json j = RunLoad("-c 2 -d 1 http://127.0.0.1:" + std::to_string(port) + "/");
  EXPECT_EQ(j["sent"].get<uint64_t>(), 0u);
  EXPECT_GT(j["connect_failed"].get<uint64_t>(), 2u) << j.dump();
  EXPECT_EQ(j["error_share"].get<double>(), 1.0);
}

// A listener that accepts (the kernel does) but never answers: each request
// times out after --timeout and is counted once.
TEST(CountingLoadSockets, NoAnswerIsATimeout) {
  uint16_t port = 0;
  int s = BindLoopback(&port);
  ASSERT_GE(s, 0);
  ASSERT_EQ(listen(s, 64), 0);
  nlohmann::json j =
      RunLoad("-c 2 -d 2 --timeout 300 http://127.0.0.1:" + std::to_string(port) + "/");
  ::close(s);
  EXPECT_EQ(j["ok"].get<uint64_t>(), 0u);
  EXPECT_GE(j["timeout"].get<uint64_t>(), 6u) << j.dump();   // ~2 per 300 ms each
  EXPECT_LE(j["timeout"].get<uint64_t>(), 14u) << j.dump();
  ExpectAccounted(j);
}

// A long-poll server for longpoll_hold: holds every GET until one whose
// path is /notify arrives, then answers all held ones at once (200, 13
// bytes) and the notify itself. A GET of /events is an event stream: its
// head goes out at once, and the notify sends it one event
// ("data: Hello, World!") instead of an answer; /events-html gets a
// text/html head instead.
class HoldingServer {
 public:
  HoldingServer() : listen_fd_(BindLoopback(&port_)) {
    EXPECT_GE(listen_fd_, 0);
    EXPECT_EQ(listen(listen_fd_, 4096), 0);
    thread_ = std::thread([this] { Run(); });
  }
  ~HoldingServer() {
    stop_ = true;
    thread_.join();
    for (int fd : held_) ::close(fd);
    ::close(listen_fd_);
  }
  uint16_t port() const { return port_; }

 private:
  void Run() {
    std::vector<pollfd> fds;
    while (!stop_) {
      fds.assign(1, pollfd{listen_fd_, POLLIN, 0});
      for (int fd : pending_) fds.push_back(pollfd{fd, POLLIN, 0});
      if (poll(fds.data(), fds.size(), 20) <= 0) continue;
      if (fds[0].revents & POLLIN) pending_.push_back(accept(listen_fd_, nullptr, nullptr));
      for (size_t i = 1; i < fds.size(); ++i) {
        if (!(fds[i].revents & POLLIN)) continue;
        char buf[1024];
        ssize_t n = ::read(fds[i].fd, buf, sizeof buf);
        std::erase(pending_, fds[i].fd);
        if (n <= 0) {
          ::close(fds[i].fd);
          continue;
        }
        const std::string request(buf, static_cast<size_t>(n));
        if (request.find(" /notify ") == std::string::npos) {
          const bool html = request.rfind("GET /events-html ", 0) == 0;
          if (html || request.rfind("GET /events ", 0) == 0) {
            const std::string head = std::string("HTTP/1.1 200 OK\r\nContent-Type: ") +
                                     (html ? "text/html" : "text/event-stream") +
                                     "\r\nTransfer-Encoding: chunked\r\n\r\n3\r\n:\n\n\r\n";
            (void)!::write(fds[i].fd, head.data(), head.size());
            streams_.push_back(fds[i].fd);
          }
          held_.push_back(fds[i].fd);
          continue;
        }
        const std::string answer =
            "HTTP/1.1 200 OK\r\nContent-Length: 13\r\n\r\nHello, World!";
        const std::string event = "15\r\ndata: Hello, World!\n\n\r\n";
        for (int fd : held_) {
          const bool stream = std::count(streams_.begin(), streams_.end(), fd) > 0;
          const std::string& out = stream ? event : answer;
          (void)!::write(fd, out.data(), out.size());
        }
        (void)!::write(fds[i].fd, answer.data(), answer.size());
        ::close(fds[i].fd);
      }
    }
  }

  uint16_t port_ = 0;
  int listen_fd_;
  std::atomic<bool> stop_{false};
  std::vector<int> pending_, held_, streams_;
  std::thread thread_;
};

// Runs longpoll_hold with `options` against `server` (held on `path`, the
// notify on `notify_path`); *held_line: its "held N" line.
nlohmann::json RunHold(const HoldingServer& server, const std::string& options,
                       const std::string& notify_path, std::string* held_line,
                       const std::string& path = "/wait") {
  const std::string base = "http://127.0.0.1:" + std::to_string(server.port());
  const std::string out = RunCommand("echo go | " + std::string(LONGPOLL_HOLD) + " " + options +
                                     " --notify " + base + notify_path + " " + base + path);
  const size_t eol = out.find('\n');
  *held_line = out.substr(0, eol);
  return nlohmann::json::parse(out.substr(eol + 1));
}

TEST(LongpollHold, EveryHeldClientGetsTheEventAndIsTimed) {
  HoldingServer server;
  std::string held;
  nlohmann::json j = RunHold(server, "-c 200 --settle 0.3 --timeout 5", "/notify", &held);
  EXPECT_EQ(held, "held 200");
  EXPECT_EQ(j["held"], 200) << j.dump();
  EXPECT_EQ(j["answered"], 200) << j.dump();
  EXPECT_EQ(j["failed"], 0);
  EXPECT_EQ(j["unanswered"], 0);
  EXPECT_GE(j["last_ms"].get<double>(), j["first_ms"].get<double>());
  EXPECT_GE(j["first_ms"].get<double>(), 0);
  EXPECT_LT(j["last_ms"].get<double>(), 5000);
}

// Nobody notifies the held clients in time: they count as unanswered.
TEST(LongpollHold, ClientsNotAnsweredInTimeAreUnanswered) {
  HoldingServer server;
  std::string held;
  nlohmann::json j = RunHold(server, "-c 20 --settle 0.1 --timeout 0.5", "/not-the-notify", &held);
  EXPECT_EQ(held, "held 20");
  EXPECT_EQ(j["held"], 20) << j.dump();
  EXPECT_EQ(j["answered"], 0);
  EXPECT_EQ(j["unanswered"], 20) << j.dump();
}

// Event streams: held once their heads are in, answered by the event's
// text (a POST notify, its status reported); heartbeats before it do not
// count.
TEST(LongpollHold, StreamsAreHeldByTheirHeadsAndAnsweredByTheEvent) {
  HoldingServer server;
  std::string held;
  nlohmann::json j = RunHold(server,
                             "-c 100 --settle 0.3 --timeout 5 --sse 'Hello, World!' "
                             "--notify-body '{\"text\":\"x\"}'",
                             "/notify", &held, "/events");
  EXPECT_EQ(held, "held 100");
  EXPECT_EQ(j["held"], 100) << j.dump();
  EXPECT_EQ(j["answered"], 100) << j.dump();
  EXPECT_EQ(j["failed"], 0);
  EXPECT_EQ(j["unanswered"], 0);
  EXPECT_EQ(j["notify_status"], 200);
  EXPECT_GE(j["first_ms"].get<double>(), 0);
}

// A stream whose head is not text/event-stream is not held: it failed.
TEST(LongpollHold, AStreamWithTheWrongHeadFails) {
  HoldingServer server;
  std::string held;
  nlohmann::json j = RunHold(server, "-c 10 --settle 0.1 --timeout 0.5 --sse 'Hello, World!'",
                             "/notify", &held, "/events-html");
  EXPECT_EQ(held, "held 0");
  EXPECT_EQ(j["failed"], 10) << j.dump();
  EXPECT_EQ(j["answered"], 0);
}

}  // namespace
}  // namespace spindle::test
