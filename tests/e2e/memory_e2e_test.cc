// Memory that stays bounded, through the real nginx: a 100 MiB upload to a
// handler that reads slower than nginx sends grows the worker's RSS by less
// than 16 MiB, with nginx buffering the body first and with it streaming
// the body as it arrives (spindle_request_buffering off).
#include "daemon_harness.hpp"
#include "http_client.hpp"
#include "nginx_harness.hpp"
#include "shared_stack.hpp"
#include "test_app_yaml.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <fstream>
#include <memory>
#include <string>
#include <thread>

namespace spindle::test {
namespace {

constexpr size_t kUpload = 100u << 20;
constexpr long kMaxGrowthKiB = 16 * 1024;

// VmRSS of a process in KiB (0 if it is gone).
long RssKiB(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  }
  return 0;
}

struct UploadStack {
  UploadStack() {
    DaemonOptions d;
    d.yaml = TestAppYaml("limits:\n  max_body_size: 200m\n");
    daemon = std::make_unique<DaemonHarness>(d);
    NginxOptions n;
    n.vars["D"] = daemon->socket_path();
    n.server = R"(
      client_max_body_size 200m;
      location / { spindle_pass unix:${D}; }
      location /streamed/ {
        rewrite ^/streamed/(.*)$ /$1 break;
        spindle_pass unix:${D};
        spindle_request_buffering off;
      }
    )";
    nginx = std::make_unique<NginxHarness>(n);
  }
  std::unique_ptr<DaemonHarness> daemon;
  std::unique_ptr<NginxHarness> nginx;
};

using MemoryE2E = SharedStackTest<UploadStack, ::testing::TestWithParam<const char*>>;

TEST_P(MemoryE2E, SlowReaderOf100MiBUploadKeepsWorkerRssFlat) {
  auto workers = stack_->daemon->WorkerPids();
  ASSERT_EQ(workers.size(), 1u);
  pid_t worker = workers[0];
  // Warm up the path (first request maps code and buffers), then measure.
  HttpRequest small;
  small.method = "POST";
  small.target = std::string(GetParam()) + "slow-upload?pause_us=0";
  small.body = std::string(1 << 20, 'w');
  ASSERT_EQ(HttpSend(stack_->nginx->port(), small).status, 200);
  const long before = RssKiB(worker);
  ASSERT_GT(before, 0);

  std::atomic<bool> done{false};
  long peak = before;
  std::thread sampler([&] {
    while (!done.load()) {
      peak = std::max(peak, RssKiB(worker));
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  });
  HttpRequest req;
  req.method = "POST";
  req.target = std::string(GetParam()) + "slow-upload?pause_us=500";
  req.body = std::string(kUpload, 'u');
  HttpClient c(stack_->nginx->port(), "127.0.0.1", std::chrono::seconds(120));
  HttpResponse r = c.Send(req);
  done = true;
  sampler.join();
  ASSERT_EQ(r.status, 200) << stack_->nginx->ErrorLog();
  EXPECT_EQ(r.body, "total " + std::to_string(kUpload) + "\n");
  std::printf("[ memory ] %s: worker RSS %ld KiB before, peak %ld KiB during a %zu MiB upload "
              "(growth %ld KiB)\n",
              GetParam(), before, peak, kUpload >> 20, peak - before);
  EXPECT_LT(peak - before, kMaxGrowthKiB);
}

INSTANTIATE_TEST_SUITE_P(BufferedAndStreamed, MemoryE2E, ::testing::Values("/", "/streamed/"),
                         [](const auto& info) {
                           return std::string(info.index == 0 ? "Buffered" : "Streamed");
                         });

}  // namespace
}  // namespace spindle::test
