// counting_load_test.cc: bench/load/counting_load against the real nginx and
// plain sockets, each answer class on its own: 200s, a 503 for every
// request, nginx's `return 444` (the connection closed with no answer: a
// reset), a closed port (connect failures), a listener that never answers
// (timeouts), and a --rate cap. Every request sent is in exactly one class.
#include "nginx_harness.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <string>

namespace spindle::test {
namespace {

nlohmann::json RunLoad(const std::string& args) {
  const std::string cmd = std::string(COUNTING_LOAD) + " --json " + args;
  FILE* f = popen(cmd.c_str(), "r");
  EXPECT_NE(f, nullptr);
  std::string out;
  char buf[4096];
  size_t n;
  while (f && (n = fread(buf, 1, sizeof buf, f)) > 0) out.append(buf, n);
  EXPECT_EQ(f ? pclose(f) : -1, 0) << cmd;
  return nlohmann::json::parse(out);
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

}  // namespace
}  // namespace spindle::test
