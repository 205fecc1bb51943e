// Admission control through the real daemon: with max_inflight 2, extra
// requests wait in the FIFO queue and succeed when a slot frees up before
// queue_timeout; past it they get 503 with Retry-After. One worker, so all
// requests share one admission queue.
#include "daemon_harness.hpp"
#include "frame_client.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <future>
#include <memory>
#include <vector>

namespace spindle::test {
namespace {

using namespace std::chrono_literals;

DaemonOptions AdmissionDaemon() {
  DaemonOptions o;
  o.yaml = std::string(R"(workers: 1
max_inflight: 2
queue_timeout: 2s
apps:
  - name: test
    path: )") + SPINDLE_TEST_APP + "\n    mount: /\n";
  return o;
}

std::vector<FrameResponse> RunConcurrently(const std::string& socket, int n,
                                           const std::string& uri) {
  std::vector<std::unique_ptr<FrameClient>> clients;
  for (int i = 0; i < n; ++i) {
    clients.push_back(std::make_unique<FrameClient>(socket, 20s));
    clients.back()->SendHead("GET", uri);
    clients.back()->SendEnd();
  }
  std::vector<std::future<FrameResponse>> futures;
  for (auto& c : clients) {
    futures.push_back(std::async(std::launch::async, [&c] { return c->ReadResponse(); }));
  }
  std::vector<FrameResponse> out;
  for (auto& f : futures) out.push_back(f.get());
  return out;
}

nlohmann::json Stats(const std::string& socket) {
  FrameClient c(socket);
  return nlohmann::json::parse(c.Request("GET", "/stats").body);
}

TEST(Admission, QueuedRequestsWaitForASlot) {
  DaemonHarness d(AdmissionDaemon());
  // 5 requests of 100 ms with 2 slots: three wait in the queue, well within
  // queue_timeout, and all succeed.
  auto responses = RunConcurrently(d.socket_path(), 5, "/sleep?ms=100");
  for (const auto& r : responses) {
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.body, "slept");
  }
  EXPECT_EQ(Stats(d.socket_path())["rejected"], 0);
}

TEST(Admission, QueueTimeoutGives503WithRetryAfter) {
  DaemonHarness d(AdmissionDaemon());
  // 4 requests of 6 s with 2 slots: two run, two wait 2 s and are refused
  // while the first two still sleep.
  auto responses = RunConcurrently(d.socket_path(), 4, "/sleep?ms=6000");
  int ok = 0, refused = 0;
  for (const auto& r : responses) {
    if (r.status == 200) {
      ++ok;
    } else {
      EXPECT_EQ(r.status, 503);
      EXPECT_EQ(r.Header("Retry-After"), "2");
      ++refused;
    }
  }
  EXPECT_EQ(ok, 2);
  EXPECT_EQ(refused, 2);
  EXPECT_EQ(Stats(d.socket_path())["rejected"], 2);
}

}  // namespace
}  // namespace spindle::test
