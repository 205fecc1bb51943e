// Failures: the server killed and restarted under load (clean errors, then
// recovery, nothing leaked), query timeouts and fiber cancellation (the
// statement cancelled on the server, the connection usable at once), a bad
// password, a server that is down, a closed client.
#include "pg_fixture.hpp"

namespace spindle::test {
namespace {

FIBER_TEST_F(PgServerTest, KilledAndRestartedUnderLoadGivesCleanErrorsThenRecovers) {
  server_->Exec("CREATE TABLE t (id int PRIMARY KEY); INSERT INTO t VALUES (1)");
  const size_t baseline = FibersAlive();
  {
    pg::Client pg(PgConfigFor(*server_, 2));
    pg.prepare("one", "SELECT id FROM t WHERE id = $1");
    (void)pg.execute("one", 1);
    bool stop = false;
    int ok = 0, unavailable = 0, other = 0;
    WaitGroup wg;
    for (int f = 0; f < 100; ++f) {
      wg.add();
      spawn([&] {
        while (!stop) {
          try {
            if (pg.execute("one", 1).value<int32_t>() == 1) ++ok;
          } catch (const pg::Unavailable&) {
            ++unavailable;
            this_fiber::sleep_for(5ms);
          } catch (const std::exception& e) {
            ++other;
            ADD_FAILURE() << e.what();
          }
        }
        wg.done();
      });
    }
    ASSERT_TRUE(WaitUntil([&] { return ok > 1000; }));
    server_->Kill();  // blocks this thread briefly: the fibers see it all at once after
    this_fiber::sleep_for(300ms);
    EXPECT_GT(unavailable, 0);
    server_->Start();
    const int ok_before = ok;
    ASSERT_TRUE(WaitUntil([&] { return ok > ok_before + 1000; }, 15000ms));
    ASSERT_TRUE(WaitUntil([&] { return pg.stats().connections_ready == 2; }));
    stop = true;
    wg.wait();
    EXPECT_EQ(other, 0);
    const pg::Stats s = pg.stats();
    EXPECT_GE(s.reconnects, 2u);
    EXPECT_EQ(s.connections_open, 2u);
    EXPECT_EQ(s.in_flight, 0u);
    pg.close();
    EXPECT_EQ(pg.stats().connections_open, 0u);
    EXPECT_EQ(pg.stats().background_fibers, 0u);
  }
  EXPECT_EQ(FibersAlive(), baseline);
  // The server sees no session of ours left.
  ASSERT_TRUE(WaitUntil([&] {
    return server_->Query("SELECT count(*) FROM pg_stat_activity WHERE "
                          "application_name = 'spindled'") == "0";
  }));
}

FIBER_TEST_F(PgServerTest, ATimedOutStatementIsCancelledOnTheServer) {
  pg::Client pg(PgConfigFor(*server_, 1));
  (void)pg.exec("SELECT 1");
  const auto t0 = Clock::now();
  try {
    pg.until(Deadline::after(200ms)).exec("SELECT pg_sleep(20)");
    FAIL() << "no timeout";
  } catch (const pg::Timeout& e) {
    EXPECT_NE(std::string(e.what()).find("pg_sleep"), std::string::npos) << e.what();
  }
  EXPECT_LT(Clock::now() - t0, 2s);
  // The one connection is not stuck behind a 20 s sleep.
  const auto t1 = Clock::now();
  EXPECT_EQ(pg.exec("SELECT 42").value<int32_t>(), 42);
  EXPECT_LT(Clock::now() - t1, 2s);
  EXPECT_EQ(pg.stats().cancels, 1u);
  EXPECT_EQ(pg.stats().timeouts, 1u);
  EXPECT_EQ(pg.stats().connections_lost + pg.stats().discarded, 0u);
  EXPECT_EQ(server_->Query("SELECT count(*) FROM pg_stat_activity WHERE query LIKE "
                           "'SELECT pg_sleep%' AND state = 'active'"),
            "0");
  pg.close();
}

FIBER_TEST_F(PgServerTest, ATimeoutWhileQueuedBehindOthersFailsOnlyThatFiber) {
  pg::Client pg(PgConfigFor(*server_, 1));
  (void)pg.exec("SELECT 1");
  bool slow_ok = false;
  Fiber slow = spawn([&] {
    slow_ok = pg.exec("SELECT pg_sleep(0.5), 7")[0].get<int32_t>(1) == 7;
  });
  this_fiber::yield();
  this_fiber::sleep_for(20ms);
  EXPECT_THROW(pg.until(Deadline::after(100ms)).exec("SELECT 1"), pg::Timeout);
  slow.join();
  EXPECT_TRUE(slow_ok);  // the running statement was not cancelled for it
  EXPECT_EQ(pg.stats().cancels, 0u);
  EXPECT_EQ(pg.exec("SELECT 2").value<int32_t>(), 2);
  pg.close();
}

FIBER_TEST_F(PgServerTest, ACancelledFiberCancelsItsStatement) {
  pg::Client pg(PgConfigFor(*server_, 1));
  (void)pg.exec("SELECT 1");
  bool cancelled = false;
  Fiber f = spawn([&] {
    try {
      pg.exec("SELECT pg_sleep(20)");
    } catch (const Cancelled&) {
      cancelled = true;
    }
  });
  this_fiber::sleep_for(100ms);
  f.cancel();
  f.join();
  EXPECT_TRUE(cancelled);
  const auto t0 = Clock::now();
  EXPECT_EQ(pg.exec("SELECT 3").value<int32_t>(), 3);
  EXPECT_LT(Clock::now() - t0, 2s);
  EXPECT_EQ(pg.stats().cancels, 1u);
  pg.close();
}

FIBER_TEST_F(PgServerTest, ABadPasswordIsAuthFailed) {
  pg::Config cfg = PgConfigFor(*server_);
  cfg.password = "wrong";
  pg::Client pg(cfg);
  const auto t0 = Clock::now();
  try {
    pg.exec("SELECT 1");
    FAIL() << "connected with a wrong password";
  } catch (const pg::AuthFailed& e) {
    EXPECT_NE(std::string(e.what()).find("password authentication failed"), std::string::npos)
        << e.what();
  }
  EXPECT_LT(Clock::now() - t0, 3s);
  EXPECT_GE(pg.stats().connect_failures, 1u);
  pg.close();
}

FIBER_TEST_F(PgServerTest, AnUnknownDatabaseIsUnavailableNotAuthFailed) {
  pg::Config cfg = PgConfigFor(*server_);
  cfg.dbname = "no_such_db";
  pg::Client pg(cfg);
  try {
    pg.exec("SELECT 1");
    FAIL() << "connected";
  } catch (const pg::AuthFailed& e) {
    FAIL() << "AuthFailed: " << e.what();
  } catch (const pg::Unavailable& e) {
    EXPECT_NE(std::string(e.what()).find("no_such_db"), std::string::npos) << e.what();
  }
  pg.close();
}

FIBER_TEST_F(PgServerTest, AServerThatIsDownFailsFastAndComesBack) {
  server_->Stop();
  pg::Client pg(PgConfigFor(*server_));
  const auto t0 = Clock::now();
  EXPECT_THROW(pg.exec("SELECT 1"), pg::Unavailable);
  EXPECT_LT(Clock::now() - t0, 2s);
  server_->Start();
  ASSERT_TRUE(WaitUntil([&] {
    try {
      return pg.exec("SELECT 1").value<int32_t>() == 1;
    } catch (const pg::Unavailable&) {
      return false;
    }
  }));
  pg.close();
  EXPECT_THROW(pg.exec("SELECT 1"), pg::Unavailable);
}

TEST(PgClient, ABadConninfoIsRefusedAtConstruction) {
  pg::Config cfg;
  cfg.conninfo = "host=/tmp port";
  EXPECT_THROW(pg::Client{cfg}, std::invalid_argument);
  cfg.conninfo = "postgresql://user@host/db?bogus_option=1";
  EXPECT_THROW(pg::Client{cfg}, std::invalid_argument);
}

FIBER_TEST(PgClient, UsedFromAnotherSchedulerIsALogicError) {
  pg::Config cfg;
  cfg.conninfo = "host=/nonexistent";
  pg::Client pg(cfg);
  EXPECT_THROW(pg.exec("SELECT 1"), pg::Unavailable);
  std::thread other([&] {
    RunInScheduler([&] { EXPECT_THROW(pg.exec("SELECT 1"), std::logic_error); });
  });
  other.join();
  pg.close();
}

}  // namespace
}  // namespace spindle::test
