// LISTEN/NOTIFY as Subscriptions: delivery with payload, fan-out to several
// subscriptions of one channel, reset, and listening again by itself after
// the server restarts.
#include "pg_fixture.hpp"

namespace spindle::test {
namespace {

FIBER_TEST_F(PgServerTest, NotificationsReachEverySubscriptionOfTheChannel) {
  pg::Client pg(PgConfigFor(*server_));
  auto a = pg.listen("room:1");
  auto b = pg.listen("room:1");
  auto other = pg.listen("room \"2\"");  // any name; quoted as an identifier
  EXPECT_EQ(pg.stats().subscriptions, 3u);
  pg.notify("room:1", "hello");
  server_->Exec("NOTIFY \"room \"\"2\"\"\", 'from psql'");
  pg::Notification n;
  ASSERT_EQ(a.pop_for(n, 5s), ChannelStatus::kSuccess);
  EXPECT_EQ(n.channel, "room:1");
  EXPECT_EQ(n.payload, "hello");
  EXPECT_GT(n.backend_pid, 0);
  ASSERT_EQ(b.pop_for(n, 5s), ChannelStatus::kSuccess);
  EXPECT_EQ(n.payload, "hello");
  ASSERT_EQ(other.pop_for(n, 5s), ChannelStatus::kSuccess);
  EXPECT_EQ(n.payload, "from psql");
  EXPECT_EQ(a.pop_for(n, 100ms), ChannelStatus::kTimeout);

  b.reset();
  EXPECT_EQ(b.pop_for(n, 10ms), ChannelStatus::kClosed);
  pg.notify("room:1", "second");
  ASSERT_EQ(a.pop_for(n, 5s), ChannelStatus::kSuccess);
  EXPECT_EQ(n.payload, "second");
  a.reset();
  other.reset();
  EXPECT_EQ(pg.stats().subscriptions, 0u);
  // No one listens now: UNLISTEN was sent for both channels.
  ASSERT_TRUE(WaitUntil([&] {
    return server_->Query("SELECT count(*) FROM pg_stat_activity WHERE "
                          "application_name = 'spindled' AND query LIKE 'UNLISTEN%'") != "0";
  }));
  pg.close();
}

FIBER_TEST_F(PgServerTest, ListensAgainAfterTheServerRestarts) {
  pg::Client pg(PgConfigFor(*server_));
  auto sub = pg.listen("events");
  server_->Restart();
  // After the reconnect the listener LISTENs again by itself.
  bool got = false;
  ASSERT_TRUE(WaitUntil([&] {
    try {
      pg.notify("events", "after restart");
    } catch (const pg::Error&) {
      return false;
    }
    pg::Notification n;
    got = sub.pop_for(n, 200ms) == ChannelStatus::kSuccess && n.payload == "after restart";
    return got;
  }, 15000ms));
  EXPECT_TRUE(got);
  EXPECT_GE(pg.stats().reconnects, 1u);
  pg.close();
  pg::Notification n;
  EXPECT_EQ(sub.pop_for(n, 10ms), ChannelStatus::kClosed);
}

FIBER_TEST_F(PgServerTest, AFullSubscriptionDropsAndCounts) {
  pg::Config cfg = PgConfigFor(*server_);
  cfg.notification_capacity = 3;
  pg::Client pg(cfg);
  auto sub = pg.listen("burst");
  for (int i = 0; i < 5; ++i) pg.notify("burst", std::to_string(i));
  ASSERT_TRUE(WaitUntil([&] { return pg.stats().notifications + sub.dropped() == 5; }));
  EXPECT_EQ(sub.dropped(), 2u);
  pg::Notification n;
  ASSERT_EQ(sub.pop_for(n, 1s), ChannelStatus::kSuccess);
  EXPECT_EQ(n.payload, "0");
  pg.close();
}

}  // namespace
}  // namespace spindle::test
