// Pipelining: statements from many fibers share a few connections and are in
// flight together on each; one that fails fails only its own fiber, and
// writes of the others are kept (each statement is its own transaction).
// Client::alone(): statements between Syncs of their own, so they run once
// even beside a failing neighbour, and contending updates do not deadlock.
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

// A batched statement beside a failing one is run twice (the batch, then
// alone); an alone() statement never shares a batch, so a sequence it
// advances advances once per call.
FIBER_TEST_F(PgServerTest, AloneStatementsRunOnceBesideFailingNeighbours) {
  server_->Exec("CREATE SEQUENCE once_seq; CREATE SEQUENCE batched_seq");
  pg::Client pg(PgConfigFor(*server_, 1));
  (void)pg.exec("SELECT 1");
  pg::Client alone = pg.alone();
  WaitGroup wg;
  int errors = 0;
  for (int f = 0; f < 300; ++f) {
    wg.add();
    spawn([&, f] {
      try {
        if (f % 3 == 0) (void)alone.exec("SELECT nextval('once_seq')");
        else if (f % 3 == 1) (void)pg.exec("SELECT nextval('batched_seq')");
        else (void)pg.exec("SELECT 1 / ($1 - $1)", f);  // division_by_zero
      } catch (const pg::QueryError&) {
        ++errors;
      }
      wg.done();
    });
  }
  wg.wait();
  EXPECT_EQ(errors, 100);
  EXPECT_EQ(pg.exec("SELECT last_value FROM once_seq").value<int64_t>(), 100);
  // The control: batched beside failures, some ran twice.
  EXPECT_GT(pg.exec("SELECT last_value FROM batched_seq").value<int64_t>(), 100);
  EXPECT_GE(pg.stats().max_pipeline_depth, 20u) << "alone() statements are still pipelined";
  pg.close();
}

// Multi-row UPDATEs from many fibers on two connections (TechEmpower's
// /updates): rows 1-100 or 201-300, each statement locking its rows in id
// order, so no two statements alone can deadlock; but batched, one
// connection's implicit transaction holds the low rows while it waits for
// the high ones and the other's the other way round (fibers alternate
// connections: low, high, high, low, ...). Through alone() each statement
// commits on its own and PostgreSQL finds no deadlock; batched, it does
// (the control).
int DeadlocksAfterUpdates(PgServer& server, bool alone) {
  server.Exec("DROP TABLE IF EXISTS world; CREATE TABLE world (id int PRIMARY KEY, n int);"
              "INSERT INTO world SELECT g, 0 FROM generate_series(1, 300) g");
  const std::string before = server.Query(
      "SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()");
  pg::Client pg(PgConfigFor(server, 2));
  (void)pg.exec("SELECT 1");
  pg::Client client = alone ? pg.alone() : pg;
  WaitGroup wg;
  for (int f = 0; f < 64; ++f) {
    wg.add();
    spawn([&, f] {
      const int low = f % 4 == 0 || f % 4 == 3;
      for (int round = 0; round < 5; ++round) {
        try {
          (void)client.exec(
              "UPDATE world SET n = n + 1 WHERE id IN (SELECT id FROM world WHERE id BETWEEN $1 "
              "AND $1 + 99 ORDER BY id FOR UPDATE)",
              low ? 1 : 201);
        } catch (const pg::Error& e) {
          ADD_FAILURE() << e.what();
        }
      }
      wg.done();
    });
  }
  wg.wait();
  EXPECT_EQ(pg.exec("SELECT sum(n) FROM world").value<int64_t>(), 64 * 5 * 100);
  // A deadlock does not show as an error (the batch is run again statement
  // by statement) but in the server's counter, which a backend reports when
  // it exits: close the client's sessions, then read it.
  pg.close();
  EXPECT_TRUE(WaitUntil([&] {
    return server.Query("SELECT count(*) FROM pg_stat_activity WHERE backend_type = "
                        "'client backend' AND pid <> pg_backend_pid()") == "0";
  }));
  return std::stoi(server.Query(
             "SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()")) -
         std::stoi(before);
}

FIBER_TEST_F(PgServerTest, AloneUpdatesOfOverlappingRowsDoNotDeadlock) {
  EXPECT_EQ(DeadlocksAfterUpdates(*server_, true), 0);
  // The control: batched, the same updates deadlock in some runs (whether
  // one batch holds a low and a high range depends on timing).
  int batched = 0;
  for (int run = 0; run < 8 && batched == 0; ++run) batched = DeadlocksAfterUpdates(*server_, false);
  EXPECT_GT(batched, 0) << "the control found no deadlock in 8 runs";
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
