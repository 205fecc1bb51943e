// Memory that stays bounded, through the real nginx: a 100 MiB upload to a
// handler that reads slower than nginx sends grows the worker's RSS by less
// than 16 MiB, with nginx buffering the body first and with it streaming
// the body as it arrives (spindle_request_buffering off); so does a 50 MiB
// file in a multipart/form-data form read with spindle::MultipartReader
// (the test app's /upload/hash), whose size and hash come back right.
#include "daemon_harness.hpp"
#include "http_client.hpp"
#include "nginx_harness.hpp"
#include "shared_stack.hpp"
#include "test_app_yaml.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

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

// Samples a process's VmRSS every 10 ms on a thread of its own until
// Stop(), which returns the peak seen.
class PeakRss {
 public:
  PeakRss(pid_t pid, long start) : peak_(start), thread_([this, pid] {
    while (!done_.load()) {
      peak_ = std::max(peak_.load(), RssKiB(pid));
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }) {}
  ~PeakRss() { Stop(); }
  long Stop() {
    done_ = true;
    if (thread_.joinable()) thread_.join();
    return peak_;
  }

 private:
  std::atomic<bool> done_{false};
  std::atomic<long> peak_;
  std::thread thread_;
};

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

  PeakRss sampler(worker, before);
  HttpRequest req;
  req.method = "POST";
  req.target = std::string(GetParam()) + "slow-upload?pause_us=500";
  req.body = std::string(kUpload, 'u');
  HttpClient c(stack_->nginx->port(), "127.0.0.1", std::chrono::seconds(120));
  HttpResponse r = c.Send(req);
  const long peak = sampler.Stop();
  ASSERT_EQ(r.status, 200) << stack_->nginx->ErrorLog();
  EXPECT_EQ(r.body, "total " + std::to_string(kUpload) + "\n");
  std::printf("[ memory ] %s: worker RSS %ld KiB before, peak %ld KiB during a %zu MiB upload "
              "(growth %ld KiB)\n",
              GetParam(), before, peak, kUpload >> 20, peak - before);
  EXPECT_LT(peak - before, kMaxGrowthKiB);
}

// FNV-1a, 64 bits, as the test app's /upload/hash computes it.
uint64_t Fnv1a(std::string_view data, uint64_t h = 14695981039346656037ull) {
  for (unsigned char c : data) h = (h ^ c) * 1099511628211ull;
  return h;
}

TEST_P(MemoryE2E, FiftyMiBMultipartUploadStreamsThroughInBoundedMemory) {
  constexpr size_t kFile = 50u << 20;
  pid_t worker = stack_->daemon->WorkerPids().at(0);
  // The file: varied bytes, with boundary look-alikes inside ("--" lines).
  std::string file(kFile, '\0');
  for (size_t i = 0; i < kFile; ++i) file[i] = static_cast<char>((i * 2654435761u) >> 13);
  const std::string lookalike = "\r\n--boundaryX";
  for (size_t i = 4096; i + 64 < kFile; i += 1 << 20) file.replace(i, lookalike.size(), lookalike);
  const std::string boundary = "----spindle-e2e-7MA4YWxkTrZu0gW";
  std::string body = "--" + boundary +
                     "\r\nContent-Disposition: form-data; name=\"title\"\r\n\r\nholiday\r\n--" +
                     boundary +
                     "\r\nContent-Disposition: form-data; name=\"photo\"; filename=\"big.bin\"\r\n"
                     "Content-Type: application/octet-stream\r\n\r\n";
  body += file;
  body += "\r\n--" + boundary + "--\r\n";
  HttpRequest warm;
  warm.method = "POST";
  warm.target = std::string(GetParam()) + "upload/hash";
  warm.headers = {{"Content-Type", "multipart/form-data; boundary=" + boundary}};
  warm.body = "--" + boundary + "\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nb\r\n--" +
              boundary + "--\r\n";
  ASSERT_EQ(HttpSend(stack_->nginx->port(), warm).status, 200);
  const long before = RssKiB(worker);
  PeakRss sampler(worker, before);
  HttpRequest req = warm;
  req.body = std::move(body);
  HttpClient c(stack_->nginx->port(), "127.0.0.1", std::chrono::seconds(120));
  HttpResponse r = c.Send(req);
  const long peak = sampler.Stop();
  ASSERT_EQ(r.status, 200) << r.body << stack_->nginx->ErrorLog();
  nlohmann::json parts = nlohmann::json::parse(r.body);
  ASSERT_EQ(parts.size(), 2u) << r.body;
  EXPECT_EQ(parts[0]["name"], "title");
  EXPECT_EQ(parts[0]["text"], "holiday");
  EXPECT_EQ(parts[1]["name"], "photo");
  EXPECT_EQ(parts[1]["filename"], "big.bin");
  EXPECT_EQ(parts[1]["size"], file.size());
  EXPECT_EQ(parts[1]["fnv"], std::to_string(Fnv1a(file)));
  std::printf("[ memory ] %s: worker RSS %ld KiB before, peak %ld KiB during a %zu MiB multipart "
              "upload (growth %ld KiB)\n",
              GetParam(), before, peak, kFile >> 20, peak - before);
  EXPECT_LT(peak - before, kMaxGrowthKiB);
}

INSTANTIATE_TEST_SUITE_P(BufferedAndStreamed, MemoryE2E, ::testing::Values("/", "/streamed/"),
                         [](const auto& info) {
                           return std::string(info.index == 0 ? "Buffered" : "Streamed");
                         });

}  // namespace
}  // namespace spindle::test
