// Drill 6: a slow client on a 256 MiB streamed response with
// `spindle_buffering off`. The client reads 1 MiB, then stops reading for
// 2 s: the kernel buffers fill, nginx stops reading from the daemon, and the
// handler fiber parks in write() (the bytes it has produced, from
// /produced on another connection, stop growing far below the response
// size). Then the client reads the rest. The worker's VmRSS, sampled every
// 20 ms from before the request to its end, grows by less than 16 MiB.
#include "drill_support.hpp"

#include <atomic>

namespace spindle::test::drills {
namespace {

constexpr uint64_t kMiB = 1024 * 1024;
constexpr uint64_t kResponseMiB = 256;
constexpr long kMaxGrowthKiB = 16 * 1024;

uint64_t Produced(uint16_t port) {
  auto r = TryGet(port, "/produced");
  return r && r->status == 200 ? std::strtoull(r->body.c_str(), nullptr, 10) : 0;
}

TEST(Drills, SlowClientParksTheStreamingHandler) {
  Stack s(DrillYaml(1), "location /big { spindle_pass d; spindle_buffering off; }\n");
  pid_t worker = s.daemon->WorkerPids().back();
  for (int i = 0; i < 20; ++i) {
    auto r = TryGet(s.port(), "/produced");
    ASSERT_TRUE(r.has_value() && r->status == 200);
  }
  const long rss_before = VmRssKiB(worker);
  ASSERT_GT(rss_before, 0);

  std::atomic<bool> sampling{true};
  std::atomic<long> rss_max{rss_before};
  std::thread sampler([&] {
    while (sampling) {
      long rss = VmRssKiB(worker);
      if (rss > rss_max) rss_max = rss;
      std::this_thread::sleep_for(20ms);
    }
  });

  HttpClient client(s.port(), "127.0.0.1", 30s);
  client.set_keep_body(false);
  HttpRequest req;
  req.target = "/big?mib=" + std::to_string(kResponseMiB);
  uint64_t received = 0;
  bool paused = false;
  std::vector<uint64_t> produced_while_paused;
  long rss_while_paused = 0;
  client.SendRequest(req);
  Clock::time_point started = Clock::now();
  HttpResponse r = client.ReadResponse(false, [&](std::string_view piece) {
    received += piece.size();
    if (!paused && received >= kMiB) {
      paused = true;  // a client that stops reading, 2 s
      for (int i = 0; i < 8; ++i) {
        std::this_thread::sleep_for(250ms);
        produced_while_paused.push_back(Produced(s.port()));
      }
      rss_while_paused = VmRssKiB(worker);
    }
    return true;
  });
  Clock::duration took = Clock::now() - started;
  sampling = false;
  sampler.join();

  std::string samples;
  for (uint64_t p : produced_while_paused) samples += std::to_string(p / 1024) + " ";
  std::printf("[drill] slow-client: received %llu MiB in %lld ms (complete %d); produced while "
              "paused (KiB, every 250 ms): %s\n"
              "[drill] slow-client: worker VmRSS before %ld KiB, while paused %ld KiB, max %ld "
              "KiB (growth %ld KiB)\n",
              static_cast<unsigned long long>(received / kMiB), Ms(took), r.complete,
              samples.c_str(), rss_before, rss_while_paused, rss_max.load(),
              rss_max.load() - rss_before);
  EXPECT_EQ(r.status, 200);
  EXPECT_TRUE(r.complete);
  EXPECT_EQ(received, kResponseMiB * kMiB);
  ASSERT_EQ(produced_while_paused.size(), 8u);
  // Parked: nothing more produced over the last second of the pause, and
  // what was produced is a few buffers' worth, not the response.
  EXPECT_EQ(produced_while_paused[3], produced_while_paused.back()) << samples;
  EXPECT_GT(produced_while_paused.back(), 0u);
  EXPECT_LT(produced_while_paused.back(), 64 * kMiB) << samples;
  EXPECT_LT(rss_max.load() - rss_before, kMaxGrowthKiB)
      << "before " << rss_before << " KiB, max " << rss_max.load() << " KiB";
  EXPECT_EQ(Produced(s.port()), kResponseMiB * kMiB);
}

}  // namespace
}  // namespace spindle::test::drills
