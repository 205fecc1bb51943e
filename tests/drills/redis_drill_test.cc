// Drill 4: Redis is killed (SIGKILL) and restarted under keep-alive load on a
// route that reads Redis, through nginx. While Redis is down every answer is
// a fast 503 (each under 1 s: the client's pool fails calls instead of
// queueing them), after the restart everything recovers to 200, and the
// daemon leaks nothing: its fiber, connection and Redis connection gauges
// (scraped over the admin socket, load stopped) come back to the baseline
// taken before the outage.
#include "drill_support.hpp"
#include "redis_server.hpp"

namespace spindle::test::drills {
namespace {

struct Gauges {
  double fibers = -1, connections = -1, redis_connections = -1;
  // The Redis client's counters (spindle_redis_*_total), fed by the sampler.
  double redis_commands = -1, redis_errors = -1, redis_reconnects = -1;
  std::string str() const {
    return "fibers_alive " + std::to_string(fibers) + ", connections_open " +
           std::to_string(connections) + ", redis_connections_open " +
           std::to_string(redis_connections);
  }
};

Gauges Scrape(const Stack& s) {
  Gauges g;
  g.fibers = Metric(s.admin_socket(), "spindle_fibers_alive").value_or(-1);
  g.connections = Metric(s.admin_socket(), "spindle_connections_open").value_or(-1);
  g.redis_connections = Metric(s.admin_socket(), "spindle_redis_connections_open").value_or(-1);
  g.redis_commands = Metric(s.admin_socket(), "spindle_redis_commands_total").value_or(-1);
  g.redis_errors = Metric(s.admin_socket(), "spindle_redis_errors_total").value_or(-1);
  g.redis_reconnects = Metric(s.admin_socket(), "spindle_redis_reconnects_total").value_or(-1);
  return g;
}

TEST(Drills, RedisKilledAndRestartedUnderLoad) {
  RedisServer redis;
  Stack s(DrillYaml(1, "redis:\n  address: " + redis.address() + "\n"));
  LoadOptions lo;
  lo.http_port = s.port();
  lo.uri = "/redis";
  lo.keep_alive = true;
  lo.threads = 4;
  lo.pause = 2ms;
  lo.timeout = 10s;
  LoadClient load(lo);

  // Baseline: the same load, then quiet (nginx keeps its upstream
  // connections cached, the pool keeps its Redis connections).
  load.Start();
  ASSERT_TRUE(load.WaitForMore(200, 20s)) << load.Counts().Summary() << load.Failures();
  load.Stop();
  std::this_thread::sleep_for(200ms);
  Gauges baseline = Scrape(s);
  ASSERT_GE(baseline.fibers, 0) << "no metrics from " << s.admin_socket();
  // The pool's connections are up (pool_size 2 by default).
  EXPECT_GT(baseline.redis_connections, 0) << baseline.str();
  // Every /redis request sent a GET; the sampler may lag the last few.
  EXPECT_GT(baseline.redis_commands, 0);

  load.Start();
  ASSERT_TRUE(load.WaitForMore(100, 20s)) << load.Counts().Summary() << load.Failures();
  LoadCounts at_kill = load.Counts();
  redis.Kill();
  std::this_thread::sleep_for(1500ms);
  LoadCounts at_restart = load.Counts();
  redis.Start();
  Clock::time_point restarted_at = Clock::now();

  // Recovered: a 300 ms window with answers and no failure.
  std::optional<Clock::duration> recovered_after;
  LoadCounts window_start = load.Counts();
  while (Clock::now() - restarted_at < 15s) {
    std::this_thread::sleep_for(300ms);
    LoadCounts now = load.Counts();
    LoadCounts window = now - window_start;
    if (window.ok > 0 && window.failed() == 0) {
      recovered_after = Clock::now() - restarted_at;
      break;
    }
    window_start = now;
  }
  LoadCounts recovered = load.Counts();
  ASSERT_TRUE(load.WaitForMore(200, 20s)) << load.Counts().Summary() << load.Failures();
  load.Stop();
  LoadCounts total = load.Counts();

  // The gauges settle once the load stops (bounded wait). nginx may cache
  // more upstream connections than after the baseline's warm-up (up to one
  // per concurrent request: the outage's fast 503s overlap more), and each
  // connection has one reader fiber; any other fiber left over is a leak.
  auto other_fibers = [](const Gauges& g) { return g.fibers - g.connections; };
  auto settled = [&](const Gauges& g) {
    return g.connections <= lo.threads && other_fibers(g) <= other_fibers(baseline) &&
           g.redis_connections == baseline.redis_connections;
  };
  Gauges after = Scrape(s);
  for (auto deadline = Clock::now() + 5s; Clock::now() < deadline;) {
    if (settled(after)) break;
    std::this_thread::sleep_for(50ms);
    after = Scrape(s);
  }

  LoadCounts outage = at_restart - at_kill;
  LoadCounts since_recovery = total - recovered;
  Report("redis", "outage", outage);
  Report("redis", "after_recovery", since_recovery);
  Report("redis", "total", total);
  std::printf("[drill] redis: recovered %lld ms after the restart\n"
              "[drill] redis: gauges baseline: %s\n[drill] redis: gauges after:    %s\n",
              recovered_after ? Ms(*recovered_after) : -1LL, baseline.str().c_str(),
              after.str().c_str());

  EXPECT_GT(outage.status[503], 0u) << outage.Summary();
  // 200 or 503 only, always an answer.
  EXPECT_EQ(total.failed(), total.status[503]) << total.Summary() << "\n" << load.Failures();
  EXPECT_EQ(total.finished(), total.sent);
  EXPECT_LT(total.max_latency[503], std::chrono::microseconds(1s)) << total.Summary();
  ASSERT_TRUE(recovered_after.has_value()) << load.Counts().Summary() << s.daemon->Log();
  EXPECT_EQ(since_recovery.failed(), 0u) << since_recovery.Summary();
  EXPECT_LE(other_fibers(after), other_fibers(baseline))
      << "baseline " << baseline.str() << "; after " << after.str();
  EXPECT_LE(after.connections, lo.threads)
      << "baseline " << baseline.str() << "; after " << after.str();
  EXPECT_EQ(after.redis_connections, baseline.redis_connections)
      << "baseline " << baseline.str() << "; after " << after.str();
  // The outage shows in the client's counters: calls failed while Redis was
  // down, and the pool reconnected (sampled before its connections were
  // back to the baseline, which the wait above saw).
  EXPECT_GT(after.redis_commands, baseline.redis_commands);
  EXPECT_GT(after.redis_errors, baseline.redis_errors);
  EXPECT_GT(after.redis_reconnects, baseline.redis_reconnects);
}

}  // namespace
}  // namespace spindle::test::drills
