// Pipelining: statements from many fibers share a few connections and are in
// flight together on each; one that fails fails only its own fiber, and
// writes of the others are kept (each statement is its own transaction).
#include <set>

#include "fiber_hammer.hpp"
#include "pg_fixture.hpp"

namespace spindle::test {
namespace {

FIBER_TEST_F(PgServerTest, AThousandFibersOverlapOnTwoConnections) {
  server_->Exec("CREATE TABLE world (id int PRIMARY KEY, n int);"
                "INSERT INTO world SELECT g, g FROM generate_series(1, 1000) g");
  pg::Client pg(PgConfigFor(*server_, 2));
  pg.prepare("get", "SELECT n, pg_backend_pid() FROM world WHERE id = $1");
  (void)pg.exec("SELECT 1");
  ASSERT_TRUE(WaitUntil([&] { return pg.stats().connections_ready == 2; }));
  WaitGroup wg;
  int wrong = 0;
  std::set<int> backends;
  const auto started = Clock::now();
  for (int f = 1; f <= 1000; ++f) {
    wg.add();
    spawn([&, f] {
      auto r = pg.execute("get", f);
      if (r[0].get<int32_t>(0) != f) ++wrong;
      backends.insert(r[0].get<int32_t>(1));
      wg.done();
    });
  }
  wg.wait();
  const auto took = Clock::now() - started;
  EXPECT_EQ(wrong, 0);
  // Two server sessions served all 1,000 fibers...
  EXPECT_EQ(backends.size(), 2u);
  const pg::Stats s = pg.stats();
  EXPECT_EQ(s.connections_open, 2u);
  // ...with hundreds of statements in flight on one connection at once.
  EXPECT_GE(s.max_pipeline_depth, 100u) << "queries did not overlap";
  EXPECT_EQ(s.errors, 0u);
  EXPECT_LT(took, 10s);
  pg.close();
}

FIBER_TEST_F(PgServerTest, AFailingStatementInThePipelineFailsOnlyItsFiber) {
  server_->Exec("CREATE TABLE log (id int PRIMARY KEY)");
  pg::Client pg(PgConfigFor(*server_, 1));
  (void)pg.exec("SELECT 1");
  WaitGroup wg;
  int ok = 0, failed = 0, other = 0;
  for (int f = 0; f < 500; ++f) {
    wg.add();
    spawn([&, f] {
      try {
        if (f % 10 == 5) {
          pg.exec("INSERT INTO log VALUES ($1 / 0)", f);  // division_by_zero
        } else {
          pg.exec("INSERT INTO log VALUES ($1)", f);
        }
        ++ok;
      } catch (const pg::QueryError& e) {
        (e.sqlstate() == "22012" ? failed : other)++;
      } catch (...) {
        ++other;
      }
      wg.done();
    });
  }
  wg.wait();
  EXPECT_EQ(ok, 450);
  EXPECT_EQ(failed, 50);
  EXPECT_EQ(other, 0);
  EXPECT_GE(pg.stats().max_pipeline_depth, 50u);
  // They went out in batches (far fewer Syncs than statements); the batches
  // with a failing statement were run again statement by statement.
  const pg::Stats st = pg.stats();
  EXPECT_GT(st.retried, 50u);
  EXPECT_LT(st.batches - st.retried, 20u) << st.batches << " syncs for 500 statements";
  // Every write that was reported done is there: none was rolled back with
  // a neighbour's failure.
  EXPECT_EQ(pg.exec("SELECT count(*) FROM log").value<int64_t>(), 450);
  EXPECT_EQ(pg.exec("SELECT count(*) FROM log WHERE id % 10 = 5").value<int64_t>(), 0);
  EXPECT_EQ(pg.stats().connections_lost, 0u);
  pg.close();
}

FIBER_TEST_F(PgServerTest, PreparedStatementsSurviveAFailedBatch) {
  pg::Client pg(PgConfigFor(*server_, 1));
  (void)pg.exec("SELECT 1");
  // One batch per round, a fresh statement each: the failure comes before
  // the execute that carries the Parse (round 0: the Parse is skipped, so
  // it must be sent again), right after it (round 1: the Parse stays, though
  // the batch was rolled back), or in the middle (round 2).
  const int failing[] = {0, 1, 25};
  for (int round = 0; round < 3; ++round) {
    const std::string name = "double" + std::to_string(round);
    pg.prepare(name, "SELECT $1::int * 2");
    WaitGroup wg;
    int ok = 0, failed = 0;
    for (int f = 0; f < 50; ++f) {
      wg.add();
      spawn([&, f] {
        try {
          if (f == failing[round]) {
            pg.exec("SELECT 1/0");
          } else if (pg.execute(name, f).value<int32_t>() == 2 * f) {
            ++ok;
          }
        } catch (const pg::QueryError& e) {
          if (e.sqlstate() == "22012") ++failed;
          else ADD_FAILURE() << e.what();
        }
        wg.done();
      });
    }
    wg.wait();
    EXPECT_EQ(ok, 49) << "round " << round;
    EXPECT_EQ(failed, 1) << "round " << round;
  }
  EXPECT_GE(pg.stats().retried, 3u * 50);
  pg.close();
}

FIBER_TEST_F(PgServerTest, StatementsThatCannotRunInABatchStillRun) {
  server_->Exec("CREATE TABLE t (id int PRIMARY KEY)");
  pg::Client pg(PgConfigFor(*server_, 1));
  (void)pg.exec("SELECT 1");
  WaitGroup wg;
  int ok = 0;
  for (int f = 0; f < 100; ++f) {
    wg.add();
    spawn([&, f] {
      try {
        if (f == 50) {
          pg.exec("VACUUM t");  // refused inside a transaction block (a batch)
        } else if (f == 60) {
          pg.exec("CREATE INDEX CONCURRENTLY t_idx ON t (id)");
        } else {
          pg.exec("INSERT INTO t VALUES ($1)", f);
        }
        ++ok;
      } catch (const std::exception& e) {
        ADD_FAILURE() << f << ": " << e.what();
      }
      wg.done();
    });
  }
  wg.wait();
  EXPECT_EQ(ok, 100);
  EXPECT_EQ(pg.exec("SELECT count(*) FROM t").value<int64_t>(), 98);
  EXPECT_EQ(pg.exec("SELECT count(*) FROM pg_indexes WHERE indexname = 't_idx'").value<int64_t>(), 1);
  pg.close();
}

FIBER_TEST_F(PgServerTest, CallersWaitingForRoomAreServedInOrder) {
  // Far more fibers than pipeline room: each call waits for room, and no
  // caller may be overtaken so often that its bounded wait runs out (fibers
  // that just got an answer and call again queue behind the waiting ones).
  pg::Config cfg = PgConfigFor(*server_, 1);
  cfg.max_in_flight = 16;
  cfg.pool_wait_timeout = 1000ms;
  pg::Client pg(cfg);
  (void)pg.exec("SELECT 1");
  const HammerResult r = Hammer(2000, 3s, [&] { (void)pg.exec("SELECT 1"); });
  EXPECT_EQ(r.errors, 0) << r.first_error;
  EXPECT_GT(r.calls, 2000);
  EXPECT_LT(r.worst, 1000ms);
  EXPECT_GT(pg.stats().pool_waits, 1000u);
  pg.close();
}

FIBER_TEST_F(PgServerTest, LargeResultsAndManyParametersFlowThroughThePipeline) {
  pg::Client pg(PgConfigFor(*server_, 1));
  WaitGroup wg;
  int bad = 0;
  for (int f = 0; f < 20; ++f) {
    wg.add();
    spawn([&] {
      auto r = pg.exec("SELECT g, repeat('x', 1000) FROM generate_series(1, 2000) g");
      if (r.size() != 2000 || r[1999].get<int32_t>(0) != 2000 ||
          r[5].get<std::string_view>(1).size() != 1000) {
        ++bad;
      }
      wg.done();
    });
  }
  // 40 parameters (past the inline arrays).
  std::vector<pg::Param> params(40);
  std::string sql = "SELECT 0";
  for (int i = 0; i < 40; ++i) {
    pg::Encode(params[static_cast<size_t>(i)], i);
    sql += " + $" + std::to_string(i + 1) + "::int";
  }
  EXPECT_EQ(pg.exec_params(sql, params).value<int32_t>(), 780);
  wg.wait();
  EXPECT_EQ(bad, 0);
  pg.close();
}

}  // namespace
}  // namespace spindle::test
