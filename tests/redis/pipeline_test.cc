// Pipelining: 1,000 concurrent fibers share the pool's few connections (their
// commands ride together), explicit pipelines, and MULTI/EXEC transactions
// (results, abort on a bad command, and atomicity against concurrent
// readers).
#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include <spindle/sync.hpp>

#include "fiber_hammer.hpp"
#include "redis_fixture.hpp"

namespace spindle::test {
namespace {

using namespace spindle::redis;

using namespace std::chrono_literals;

class RedisPipeline : public RedisServerTest {};

FIBER_TEST_F(RedisPipeline, ThousandConcurrentFibers) {
  RedisServer& server = *server_;
  const size_t baseline = FibersAlive();
  Config cfg = ConfigFor(server);
  cfg.pool_size = 2;
  Client client(cfg);
  constexpr int kFibers = 1000;
  constexpr int kRounds = 20;
  WaitGroup wg;
  int wrong = 0;
  size_t max_in_flight = 0;
  for (int i = 0; i < kFibers; ++i) {
    wg.add();
    spawn([&, i] {
      const std::string key = "key:" + std::to_string(i);
      for (int r = 0; r < kRounds; ++r) {
        client.incr("counter");
        client.set(key, std::to_string(r));
        max_in_flight = std::max(max_in_flight, client.stats().in_flight);
        if (client.get(key) != std::to_string(r)) ++wrong;
      }
      wg.done();
    });
  }
  ASSERT_EQ(wg.wait_for(60s), WaitStatus::kOk);
  EXPECT_EQ(wrong, 0);
  EXPECT_EQ(client.get("counter"), std::to_string(kFibers * kRounds));
  const Stats s = client.stats();
  // Only the pool's connections were ever opened, and they carried many
  // commands at once.
  EXPECT_EQ(s.connects, 2u);
  EXPECT_EQ(ConnectedClients(client), 2);
  EXPECT_GT(max_in_flight, 2u) << "commands were not pipelined";
  EXPECT_EQ(s.commands, static_cast<uint64_t>(kFibers * kRounds * 3 + 1));
  EXPECT_EQ(s.errors, 0u);
  client.close();
  EXPECT_EQ(FibersAlive(), baseline);
}

FIBER_TEST_F(RedisPipeline, ExplicitPipeline) {
  RedisServer& server = *server_;
  Client client(ConfigFor(server));
  auto p = client.pipeline();
  p.add("SET", "a", "1").add("INCR", "a").add("GET", "a").add("HSET", "a", "f", "v");
  p.add("GET", "missing");
  EXPECT_EQ(p.size(), 5u);
  std::vector<Reply> r = p.execute();
  ASSERT_EQ(r.size(), 5u);
  EXPECT_EQ(r[0].str(), "OK");
  EXPECT_EQ(r[1].integer(), 2);
  EXPECT_EQ(r[2].str(), "2");
  EXPECT_TRUE(r[3].is_error());  // in place, not thrown
  EXPECT_TRUE(r[4].is_nil());
  EXPECT_EQ(p.size(), 0u);
  EXPECT_TRUE(p.execute().empty());

  // A large pipeline (more than the socket buffer).
  for (int i = 0; i < 5000; ++i) p.add("RPUSH", "list", i);
  r = p.execute();
  ASSERT_EQ(r.size(), 5000u);
  EXPECT_EQ(r.back().integer(), 5000);
  client.close();
}

FIBER_TEST_F(RedisPipeline, MultiExec) {
  RedisServer& server = *server_;
  Client client(ConfigFor(server));
  auto tx = client.transaction();
  tx.add("INCR", "x").add("INCR", "x").add("GET", "x").add("LPUSH", "x", "bad");
  Reply r = tx.execute();
  ASSERT_TRUE(r.is_array()) << r.ToString();
  ASSERT_EQ(r.size(), 4u);
  EXPECT_EQ(r[0].integer(), 1);
  EXPECT_EQ(r[1].integer(), 2);
  EXPECT_EQ(r[2].str(), "2");
  EXPECT_TRUE(r[3].is_error());  // runtime errors stay in EXEC's array

  // A command Redis refuses to queue aborts the whole transaction.
  auto bad = client.transaction();
  bad.add("INCR", "x").add("SET", "only-a-key");
  EXPECT_THROW(bad.execute(), ReplyError);
  EXPECT_EQ(client.get("x"), "2");  // nothing of it ran
  // The connection is fine afterwards.
  EXPECT_EQ(client.incr("x"), 3);
  client.close();
}

// Atomicity: writers bump a and b inside MULTI/EXEC while readers MGET both
// through the same pooled connections. If another fiber's command could land
// between a writer's MULTI and EXEC (or the two INCRs ran outside a
// transaction), a reader would see a != b.
FIBER_TEST_F(RedisPipeline, TransactionsAreAtomicUnderConcurrency) {
  RedisServer& server = *server_;
  Client client(ConfigFor(server));
  WaitGroup wg;
  int torn = 0;
  for (int w = 0; w < 50; ++w) {
    wg.add();
    spawn([&] {
      for (int i = 0; i < 20; ++i) {
        auto tx = client.transaction();
        tx.add("INCR", "a").add("INCR", "b");
        (void)tx.execute();
      }
      wg.done();
    });
  }
  for (int rd = 0; rd < 50; ++rd) {
    wg.add();
    spawn([&] {
      for (int i = 0; i < 20; ++i) {
        auto v = client.mget({"a", "b"});
        if (v[0] != v[1]) ++torn;
      }
      wg.done();
    });
  }
  ASSERT_EQ(wg.wait_for(60s), WaitStatus::kOk);
  EXPECT_EQ(torn, 0);
  EXPECT_EQ(client.get("a"), "1000");
  EXPECT_EQ(client.get("b"), "1000");
  client.close();
}

}  // namespace
}  // namespace spindle::test

namespace spindle::test {
namespace {

FIBER_TEST_F(RedisServerTest, CallersWaitingForRoomAreServedInOrder) {
  // Far more fibers than pipeline room: each call waits for room, and no
  // caller may be overtaken so often that its bounded wait runs out.
  redis::Config cfg = ConfigFor(*server_);
  cfg.pool_size = 1;
  cfg.max_in_flight = 16;
  cfg.pool_wait_timeout = 1000ms;
  redis::Client redis(cfg);
  (void)redis.command("PING");
  const HammerResult r = Hammer(2000, 3s, [&] { (void)redis.command("PING"); });
  EXPECT_EQ(r.errors, 0) << r.first_error;
  EXPECT_GT(r.calls, 2000);
  EXPECT_LT(r.worst, 1000ms);
  redis.close();
}

}  // namespace
}  // namespace spindle::test
