// Pub/Sub: fan-out of one channel (and a pattern) to many fibers over one
// shared subscriber connection, unsubscribe when the last Subscription goes,
// re-subscribe after Redis restarts, and channels closed by client.close().
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include <spindle/sync.hpp>

#include "redis_fixture.hpp"

namespace spindle::test {
namespace {

using namespace spindle::redis;

using namespace std::chrono_literals;

class RedisPubSub : public RedisServerTest {};

long long NumSub(const Client& c, const std::string& channel) {
  return c.command("PUBSUB", "NUMSUB", channel).at(1).integer();
}

FIBER_TEST_F(RedisPubSub, FanOutToManyFibers) {
  RedisServer& server = *server_;
  const size_t baseline = FibersAlive();
  Client client(ConfigFor(server));
  constexpr int kSubscribers = 200;
  constexpr int kPatternSubscribers = 50;
  constexpr int kMessages = 20;

  WaitGroup subscribed;
  WaitGroup done;
  int received_ok = 0;
  for (int i = 0; i < kSubscribers + kPatternSubscribers; ++i) {
    const bool pattern = i >= kSubscribers;
    subscribed.add();
    done.add();
    spawn([&, pattern] {
      Subscription sub = pattern ? client.psubscribe({"news.*"}) : client.subscribe({"news.tech"});
      subscribed.done();
      int got = 0;
      for (int m = 0; m < kMessages; ++m) {
        Message msg;
        if (sub.pop_until(msg, Deadline::after(20s)) != ChannelStatus::kSuccess) break;
        if (msg.channel != "news.tech" || msg.payload != "story " + std::to_string(m)) break;
        if (pattern && msg.pattern != "news.*") break;
        ++got;
      }
      if (got == kMessages) ++received_ok;
      done.done();
    });
  }
  ASSERT_EQ(subscribed.wait_for(30s), WaitStatus::kOk);
  EXPECT_EQ(client.stats().subscriptions, static_cast<size_t>(kSubscribers + kPatternSubscribers));
  // One subscriber connection: Redis sees one listener for the channel and
  // one for the pattern, however many fibers listen.
  EXPECT_EQ(NumSub(client, "news.tech"), 1);
  EXPECT_EQ(client.command("PUBSUB", "NUMPAT").integer(), 1);
  for (int m = 0; m < kMessages; ++m) {
    EXPECT_EQ(client.publish("news.tech", "story " + std::to_string(m)), 2);
  }
  ASSERT_EQ(done.wait_for(30s), WaitStatus::kOk);
  EXPECT_EQ(received_ok, kSubscribers + kPatternSubscribers);
  const Stats s = client.stats();
  EXPECT_EQ(s.pubsub_messages,
            static_cast<uint64_t>((kSubscribers + kPatternSubscribers) * kMessages));
  EXPECT_EQ(s.pubsub_dropped, 0u);
  EXPECT_EQ(s.subscriptions, 0u);

  // Every Subscription is gone: Redis is told to unsubscribe (asynchronously).
  EXPECT_TRUE(WaitUntil([&] { return NumSub(client, "news.tech") == 0; }));
  EXPECT_TRUE(WaitUntil([&] { return client.command("PUBSUB", "NUMPAT").integer() == 0; }));
  client.close();
  EXPECT_EQ(FibersAlive(), baseline);
}

FIBER_TEST_F(RedisPubSub, UnsubscribeAndResubscribeQuickly) {
  RedisServer& server = *server_;
  Client client(ConfigFor(server));
  // Subscribe, drop, and subscribe again without waiting: the unsubscribe
  // reply of the first round must not cancel the second (hiredis 0.14 also
  // must not leave subscribed mode in between).
  for (int round = 0; round < 20; ++round) {
    Subscription a = client.subscribe({"c1", "c2"});
    a.reset();
    Subscription b = client.subscribe({"c1"});
    EXPECT_GE(client.publish("c1", "hello " + std::to_string(round)), 1);
    Message m;
    ASSERT_EQ(b.pop_until(m, Deadline::after(10s)), ChannelStatus::kSuccess);
    EXPECT_EQ(m.payload, "hello " + std::to_string(round));
  }
  EXPECT_TRUE(WaitUntil([&] { return NumSub(client, "c1") == 0 && NumSub(client, "c2") == 0; }));
  client.close();
}

FIBER_TEST_F(RedisPubSub, ResubscribesAfterRestartAndClosesOnClose) {
  RedisServer& server = *server_;
  const size_t baseline = FibersAlive();
  Client client(ConfigFor(server));
  Subscription sub = client.subscribe({"events"});
  server.Kill();
  server.Start();
  // The subscriber reconnects and subscribes again by itself.
  ASSERT_TRUE(WaitUntil([&] {
    try {
      return NumSub(client, "events") == 1;
    } catch (const Error&) {
      return false;
    }
  }));
  EXPECT_EQ(client.publish("events", "after restart"), 1);
  Message m;
  ASSERT_EQ(sub.pop_until(m, Deadline::after(10s)), ChannelStatus::kSuccess);
  EXPECT_EQ(m.payload, "after restart");
  EXPECT_GE(client.stats().reconnects, 1u);

  client.close();
  EXPECT_EQ(sub.pop_until(m, Deadline::after(10s)), ChannelStatus::kClosed);
  EXPECT_EQ(FibersAlive(), baseline);
}

FIBER_TEST_F(RedisPubSub, SubscribeFailsFastWhenRedisIsDown) {
  RedisServer& server = *server_;
  Client client(ConfigFor(server));
  server.Kill();
  EXPECT_THROW(client.subscribe({"x"}), Unavailable);
  client.close();
}

}  // namespace
}  // namespace spindle::test
