// Failure handling against a real redis-server: command timeouts (DEBUG
// SLEEP) that discard the connection, the caller's deadline capping the
// timeout, Redis killed and restarted under load (errors while down, full
// recovery after, no leaked fibers or connections), a bounded pool wait,
// Redis down from the start, and wrong credentials.
#include <gtest/gtest.h>

#include <string>

#include <spindle/sync.hpp>

#include "redis_fixture.hpp"

namespace spindle::test {
namespace {

using namespace spindle::redis;

using namespace std::chrono_literals;

class RedisFailure : public RedisServerTest {};

FIBER_TEST_F(RedisFailure, TimeoutDiscardsTheConnection) {
  RedisServer& server = *server_;
  const size_t baseline = FibersAlive();
  Config cfg = ConfigFor(server);
  cfg.pool_size = 1;
  cfg.command_timeout = 200ms;
  Client client(cfg);
  client.set("k", "v");
  try {
    (void)client.command("DEBUG", "SLEEP", "1");
    ADD_FAILURE() << "no timeout";
  } catch (const Timeout& e) {
    EXPECT_NE(std::string(e.what()).find(server.address()), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("DEBUG"), std::string::npos) << e.what();
  }
  Stats s = client.stats();
  EXPECT_EQ(s.timeouts, 1u);
  EXPECT_EQ(s.discarded, 1u);
  // A new connection serves the next call (its handshake waits for Redis to
  // wake up, within the pool wait).
  EXPECT_TRUE(WaitUntil([&] {
    try {
      return client.get("k") == "v";
    } catch (const Error&) {
      return false;
    }
  }));
  s = client.stats();
  EXPECT_GE(s.connects, 2u);
  client.close();
  EXPECT_EQ(FibersAlive(), baseline);
}

FIBER_TEST_F(RedisFailure, CallerDeadlineCapsTheTimeout) {
  RedisServer& server = *server_;
  Client client(ConfigFor(server));  // command_timeout 5 s
  client.set("k", "v");
  const Client capped = client.until(Deadline::after(100ms));
  EXPECT_THROW((void)capped.command("DEBUG", "SLEEP", "0.5"), Timeout);
  // A deadline already passed fails without sending anything.
  const uint64_t sent = client.stats().commands;
  EXPECT_THROW((void)client.until(Deadline::after(-1s)).get("k"), Timeout);
  EXPECT_EQ(client.stats().commands, sent);
  client.close();
}

// Pipelined neighbours of a timed-out command fail with Unavailable (their
// connection is discarded) instead of hanging or being answered wrongly.
FIBER_TEST_F(RedisFailure, NeighboursOfATimeoutFailCleanly) {
  RedisServer& server = *server_;
  Config cfg = ConfigFor(server);
  cfg.pool_size = 1;
  cfg.command_timeout = 300ms;
  Client client(cfg);
  client.set("k", "v");
  WaitGroup wg;
  int timeouts = 0, unavailable = 0, wrong = 0;
  for (int i = 0; i < 20; ++i) {
    wg.add();
    spawn([&, i] {
      try {
        if (i == 0) {
          (void)client.command("DEBUG", "SLEEP", "1");
        } else {
          if (client.until(Deadline::after(10s)).get("k") != "v") ++wrong;
        }
      } catch (const Timeout&) {
        ++timeouts;
      } catch (const Unavailable&) {
        ++unavailable;
      }
      wg.done();
    });
  }
  ASSERT_EQ(wg.wait_for(30s), WaitStatus::kOk);
  EXPECT_EQ(wrong, 0);
  EXPECT_GE(timeouts, 1);
  EXPECT_EQ(timeouts + unavailable + (20 - timeouts - unavailable), 20);
  client.close();
}

FIBER_TEST_F(RedisFailure, KilledAndRestartedUnderLoad) {
  RedisServer& server = *server_;
  const size_t baseline = FibersAlive();
  Config cfg = ConfigFor(server);
  cfg.pool_size = 2;
  cfg.command_timeout = 2000ms;
  Client client(cfg);
  constexpr int kWorkers = 100;
  bool stop = false;
  long long ok = 0, unavailable = 0, timeouts = 0, other = 0;
  std::string sample_error;
  WaitGroup wg;
  for (int i = 0; i < kWorkers; ++i) {
    wg.add();
    spawn([&] {
      while (!stop) {
        try {
          client.incr("hits");
          ++ok;
        } catch (const Unavailable& e) {
          ++unavailable;
          if (sample_error.empty()) sample_error = e.what();
          this_fiber::sleep_for(2ms);
        } catch (const Timeout&) {
          ++timeouts;
        } catch (...) {
          ++other;
        }
      }
      wg.done();
    });
  }
  ASSERT_TRUE(WaitUntil([&] { return ok > 2000; }));
  server.Kill();
  ASSERT_TRUE(WaitUntil([&] { return unavailable > 200; }));
  const long long ok_while_down = ok;
  this_fiber::sleep_for(50ms);
  EXPECT_LE(ok - ok_while_down, 0) << "calls succeeded while Redis was down";
  server.Start();
  ASSERT_TRUE(WaitUntil([&] { return ok > ok_while_down + 2000; }, 20000ms));
  stop = true;
  ASSERT_EQ(wg.wait_for(30s), WaitStatus::kOk);

  EXPECT_EQ(other, 0);
  EXPECT_NE(sample_error.find(server.address()), std::string::npos) << sample_error;
  // The load may finish on slot 0 alone while slot 1 is still in its
  // reconnect back-off: wait (bounded) for the background reconnect.
  EXPECT_TRUE(WaitUntil([&] { return client.stats().connections_ready == 2u; }, 10000ms));
  const Stats s = client.stats();
  EXPECT_GE(s.reconnects, 2u);
  EXPECT_GE(s.connections_lost, 2u);
  EXPECT_EQ(s.connections_ready, 2u);
  EXPECT_EQ(s.in_flight, 0u);
  EXPECT_EQ(s.connections_open, 2u);  // no connection leaked across the crash
  EXPECT_EQ(ConnectedClients(client), 2);
  // The restarted Redis has only what was written after it came back.
  EXPECT_GT(std::stoll(client.get("hits").value_or("0")), 0);
  client.close();
  EXPECT_EQ(client.stats().connections_open, 0u);
  EXPECT_EQ(FibersAlive(), baseline);
}

FIBER_TEST_F(RedisFailure, DownFromTheStartFailsFast) {
  RedisServer& server = *server_;
  Config cfg = ConfigFor(server);
  server.Kill();
  Client client(cfg);
  for (int i = 0; i < 100; ++i) {
    EXPECT_THROW(client.get("k"), Unavailable);
  }
  const Stats s = client.stats();
  EXPECT_EQ(s.errors, 100u);
  // Back-off: far fewer connect attempts than calls (no connection storm).
  EXPECT_LT(s.connect_failures, 100u);
  client.close();
}

FIBER_TEST_F(RedisFailure, PoolWaitIsBounded) {
  RedisServer& server = *server_;
  Config cfg = ConfigFor(server);
  cfg.pool_size = 1;
  cfg.max_in_flight = 1;
  cfg.pool_wait_timeout = 100ms;
  Client client(cfg);
  client.set("k", "v");
  WaitGroup wg;
  wg.add();
  spawn([&] {
    (void)client.command("DEBUG", "SLEEP", "0.5");
    wg.done();
  });
  this_fiber::yield();  // let it take the only slot
  ASSERT_EQ(client.stats().in_flight, 1u);
  const Stats before = client.stats();
  EXPECT_THROW(client.get("k"), Unavailable);
  const Stats s = client.stats();
  EXPECT_EQ(s.pool_waits, before.pool_waits + 1);
  EXPECT_EQ(s.pool_wait_timeouts, before.pool_wait_timeouts + 1);
  ASSERT_EQ(wg.wait_for(10s), WaitStatus::kOk);
  EXPECT_EQ(client.get("k"), "v");
  client.close();
}

FIBER_TEST_F(RedisFailure, WrongPassword) {
  spindle::test::RedisServerOptions opts;
  opts.password = "s3cret";
  RedisServer server(opts);
  Config cfg = ConfigFor(server);
  cfg.password = "wrong";
  Client bad(cfg);
  try {
    (void)bad.get("k");
    ADD_FAILURE() << "no exception";
  } catch (const AuthFailed& e) {
    EXPECT_NE(std::string(e.what()).find("authentication failed"), std::string::npos) << e.what();
    EXPECT_EQ(e.address(), server.address());
  }
  bad.close();

  cfg.password.clear();
  Client none(cfg);
  try {
    (void)none.get("k");
    ADD_FAILURE() << "no exception";
  } catch (const Unavailable& e) {
    EXPECT_NE(std::string(e.what()).find("NOAUTH"), std::string::npos) << e.what();
  }
  none.close();

  cfg.password = "s3cret";
  Client good(cfg);
  good.set("k", "v");
  EXPECT_EQ(good.get("k"), "v");
  good.close();
}

FIBER_TEST_F(RedisFailure, CancelledCallerKeepsTheConnection) {
  RedisServer& server = *server_;
  Client client(ConfigFor(server));
  client.set("k", "v");
  bool cancelled = false;
  Fiber f = spawn([&] {
    try {
      (void)client.command("DEBUG", "SLEEP", "0.2");
    } catch (const Cancelled&) {
      cancelled = true;
    }
  });
  this_fiber::yield();
  f.cancel();
  f.join();
  EXPECT_TRUE(cancelled);
  EXPECT_EQ(client.get("k"), "v");
  EXPECT_EQ(client.stats().discarded, 0u);
  client.close();
}

}  // namespace
}  // namespace spindle::test
