// Transactions on a pinned connection: commit, rollback (explicit, at scope
// end, on an exception, when the fiber is cancelled), isolation, and the
// pool around them (other fibers' statements never land inside).
#include "pg_fixture.hpp"

namespace spindle::test {
namespace {

class TxTest : public PgServerTest {
 protected:
  void SetUp() override {
    PgServerTest::SetUp();
    server_->Exec("CREATE TABLE acct (id int PRIMARY KEY, n int NOT NULL CHECK (n >= 0));"
                  "INSERT INTO acct VALUES (1, 100), (2, 0)");
  }
  std::string Balance(int id) {
    return server_->Query("SELECT n FROM acct WHERE id = " + std::to_string(id));
  }
};

FIBER_TEST_F(TxTest, CommitMakesEveryStatementVisibleAtOnce) {
  pg::Client pg(PgConfigFor(*server_, 2));
  auto tx = pg.transaction();
  EXPECT_TRUE(tx.active());
  tx.exec("UPDATE acct SET n = n - 30 WHERE id = 1");
  tx.exec("UPDATE acct SET n = n + 30 WHERE id = $1", 2);
  // Not visible outside before COMMIT (another connection of the pool).
  EXPECT_EQ(pg.exec("SELECT n FROM acct WHERE id = 2").value<int32_t>(), 0);
  EXPECT_EQ(tx.exec("SELECT n FROM acct WHERE id = 2").value<int32_t>(), 30);
  tx.commit();
  EXPECT_FALSE(tx.active());
  EXPECT_EQ(Balance(1), "70");
  EXPECT_EQ(Balance(2), "30");
  EXPECT_THROW(tx.exec("SELECT 1"), std::logic_error);
  EXPECT_EQ(pg.stats().transactions, 1u);
  EXPECT_EQ(pg.stats().pinned, 0u);
  pg.close();
}

FIBER_TEST_F(TxTest, ScopeEndExceptionAndExplicitRollbackUndoTheWork) {
  pg::Client pg(PgConfigFor(*server_, 1));
  {
    auto tx = pg.transaction();
    tx.exec("UPDATE acct SET n = 0 WHERE id = 1");
  }  // no commit
  EXPECT_EQ(pg.exec("SELECT n FROM acct WHERE id = 1").value<int32_t>(), 100);
  try {
    auto tx = pg.transaction();
    tx.exec("UPDATE acct SET n = 1 WHERE id = 1");
    throw std::runtime_error("handler failed");
  } catch (const std::runtime_error&) {
  }
  EXPECT_EQ(pg.exec("SELECT n FROM acct WHERE id = 1").value<int32_t>(), 100);
  {
    auto tx = pg.transaction();
    tx.exec("UPDATE acct SET n = 2 WHERE id = 1");
    tx.rollback();
    tx.rollback();  // idempotent
  }
  EXPECT_EQ(Balance(1), "100");
  // A failing statement aborts the transaction; COMMIT then rolls back.
  {
    auto tx = pg.transaction();
    tx.exec("UPDATE acct SET n = 5 WHERE id = 1");
    EXPECT_THROW(tx.exec("UPDATE acct SET n = -1 WHERE id = 2"), pg::QueryError);  // CHECK
    try {
      tx.exec("SELECT 1");
      FAIL() << "statement ran in an aborted transaction";
    } catch (const pg::QueryError& e) {
      EXPECT_EQ(e.sqlstate(), "25P02");  // in_failed_sql_transaction
    }
    tx.commit();  // the server answers ROLLBACK to it
  }
  EXPECT_EQ(Balance(1), "100");
  EXPECT_EQ(pg.stats().rollbacks, 3u);
  // The single connection is back in the pool and outside any transaction.
  EXPECT_EQ(pg.exec("SELECT count(*) FROM acct").value<int64_t>(), 2);
  pg.close();
}

FIBER_TEST_F(TxTest, ACancelledFiberRollsItsTransactionBack) {
  pg::Client pg(PgConfigFor(*server_, 1));
  bool updated = false;
  bool cancelled = false;
  Fiber f = spawn([&] {
    auto tx = pg.transaction();
    tx.exec("UPDATE acct SET n = 0 WHERE id = 1");
    updated = true;
    try {
      tx.exec("SELECT pg_sleep(30)");  // cancelled in here
    } catch (const Cancelled&) {
      cancelled = true;
      throw;
    }
  });
  ASSERT_TRUE(WaitUntil([&] { return updated; }));
  this_fiber::sleep_for(50ms);
  const auto t0 = Clock::now();
  f.cancel();
  f.join();
  EXPECT_TRUE(cancelled);
  // The sleep was cancelled on the server and the ROLLBACK ran: the next
  // statement on the only connection is answered at once.
  EXPECT_EQ(pg.exec("SELECT n FROM acct WHERE id = 1").value<int32_t>(), 100);
  EXPECT_LT(Clock::now() - t0, 5s);
  EXPECT_EQ(pg.stats().cancels, 1u);
  EXPECT_EQ(Balance(1), "100");
  pg.close();
}

FIBER_TEST_F(TxTest, OtherFibersNeverRunInsideAnotherFibersTransaction) {
  pg::Client pg(PgConfigFor(*server_, 2));
  (void)pg.exec("SELECT 1");
  WaitGroup wg;
  int errors = 0;
  // Many single statements keep both connections busy while transactions
  // pin them one at a time; none of the single statements may see the
  // uncommitted -1000 of a transaction that rolls back.
  for (int f = 0; f < 200; ++f) {
    wg.add();
    spawn([&, f] {
      try {
        if (f % 20 == 0) {
          auto tx = pg.transaction();
          tx.exec("UPDATE acct SET n = n + 1000 WHERE id = 2");
          this_fiber::sleep_for(2ms);
          tx.rollback();
        } else {
          if (pg.exec("SELECT n FROM acct WHERE id = 2").value<int32_t>() != 0) ++errors;
        }
      } catch (const std::exception& e) {
        ADD_FAILURE() << e.what();
        ++errors;
      }
      wg.done();
    });
  }
  wg.wait();
  EXPECT_EQ(errors, 0);
  EXPECT_EQ(pg.stats().transactions, 10u);
  EXPECT_EQ(Balance(2), "0");
  pg.close();
}

FIBER_TEST_F(TxTest, ATransactionWhoseConnectionBrokeFailsCleanly) {
  pg::Client pg(PgConfigFor(*server_, 2));
  auto tx = pg.transaction();
  tx.exec("UPDATE acct SET n = 0 WHERE id = 1");
  server_->Kill();
  EXPECT_THROW(tx.exec("SELECT 1"), pg::Unavailable);
  EXPECT_THROW(tx.exec("SELECT 1"), pg::Unavailable);  // the connection is gone
  EXPECT_THROW(tx.commit(), pg::Unavailable);
  EXPECT_FALSE(tx.active());
  server_->Start();
  // After the restart the pool serves again; the uncommitted write is gone.
  ASSERT_TRUE(WaitUntil([&] {
    try {
      return pg.exec("SELECT n FROM acct WHERE id = 1").value<int32_t>() == 100;
    } catch (const pg::Unavailable&) {
      return false;
    }
  }, 15000ms));
  auto tx3 = pg.transaction();
  server_->Kill();
  EXPECT_NO_THROW(tx3.rollback());  // gone with the connection: nothing to undo
  EXPECT_FALSE(tx3.active());
  EXPECT_EQ(pg.stats().pinned, 0u);
  server_->Start();
  pg.close();
}

FIBER_TEST_F(TxTest, SerializableConflictsAreQueryErrors) {
  pg::Client pg(PgConfigFor(*server_, 2));
  auto a = pg.transaction(pg::Isolation::kSerializable);
  EXPECT_EQ(a.exec("SHOW transaction_isolation").value<std::string>(), "serializable");
  auto b = pg.transaction(pg::Isolation::kSerializable);
  a.exec("SELECT sum(n) FROM acct");
  b.exec("SELECT sum(n) FROM acct");
  a.exec("UPDATE acct SET n = n + 1 WHERE id = 1");
  b.exec("UPDATE acct SET n = n + 1 WHERE id = 2");
  a.commit();
  try {
    b.commit();
    FAIL() << "no serialization failure";
  } catch (const pg::QueryError& e) {
    EXPECT_EQ(e.sqlstate(), "40001");
  }
  EXPECT_FALSE(b.active());
  EXPECT_EQ(pg.stats().pinned, 0u);
  pg.close();
}

}  // namespace
}  // namespace spindle::test
