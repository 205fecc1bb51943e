// Statements: named prepared statements (prepared once per connection,
// again after a reconnect), server errors as QueryError with SQLSTATE,
// constraint and message, and the refusal of BEGIN/COMMIT outside
// transaction().
#include "pg_fixture.hpp"

namespace spindle::test {
namespace {

FIBER_TEST_F(PgServerTest, PreparedStatementsArePreparedOncePerConnection) {
  server_->Exec("CREATE TABLE world (id int PRIMARY KEY, n int);"
                "INSERT INTO world SELECT g, g * 10 FROM generate_series(1, 100) g");
  pg::Client pg(PgConfigFor(*server_, 2));
  pg.prepare("world", "SELECT n FROM world WHERE id = $1");
  pg.prepare("world", "SELECT n FROM world WHERE id = $1");  // same SQL: a no-op
  EXPECT_THROW(pg.prepare("world", "SELECT 1"), std::invalid_argument);
  EXPECT_THROW(pg.execute("nope", 1), std::invalid_argument);

  WaitGroup wg;
  int bad = 0;
  for (int f = 0; f < 50; ++f) {
    wg.add();
    spawn([&, f] {
      for (int i = 1; i <= 20; ++i) {
        const int id = (f * 20 + i) % 100 + 1;
        if (pg.execute("world", id).value<int32_t>() != id * 10) ++bad;
      }
      wg.done();
    });
  }
  wg.wait();
  EXPECT_EQ(bad, 0);
  const pg::Stats s = pg.stats();
  EXPECT_GE(s.prepares, 1u);
  EXPECT_LE(s.prepares, 2u);  // one per connection, not per call
  pg.close();
  // The server holds it as a named statement of the session that ran it.
  pg::Client one(PgConfigFor(*server_, 1));
  one.prepare("world", "SELECT n FROM world WHERE id = $1");
  EXPECT_EQ(one.exec("SELECT count(*) FROM pg_prepared_statements WHERE name = 'world'")
                .value<int64_t>(), 0);
  EXPECT_EQ(one.execute("world", 3).value<int32_t>(), 30);
  EXPECT_EQ(one.exec("SELECT count(*) FROM pg_prepared_statements WHERE name = 'world'")
                .value<int64_t>(), 1);
  one.close();
}

FIBER_TEST_F(PgServerTest, PreparedAgainAfterTheServerRestarts) {
  server_->Exec("CREATE TABLE t (id int PRIMARY KEY); INSERT INTO t VALUES (1)");
  pg::Client pg(PgConfigFor(*server_, 1));
  pg.prepare("one", "SELECT id FROM t WHERE id = $1");
  EXPECT_EQ(pg.execute("one", 1).value<int32_t>(), 1);
  server_->Restart();
  // The first calls after the restart may fail (the connection broke);
  // once reconnected, the statement is prepared again on the new session.
  ASSERT_TRUE(WaitUntil([&] {
    try {
      return pg.execute("one", 1).value<int32_t>() == 1;
    } catch (const pg::Unavailable&) {
      return false;
    }
  }));
  EXPECT_EQ(pg.stats().prepares, 2u);
  pg.close();
}

FIBER_TEST_F(PgServerTest, ServerErrorsAreQueryErrorsAndTheConnectionStaysUsable) {
  server_->Exec("CREATE TABLE users (id int PRIMARY KEY, email text CONSTRAINT users_email_key UNIQUE)");
  pg::Client pg(PgConfigFor(*server_, 1));
  try {
    pg.exec("SELEC 1");
    FAIL() << "no error";
  } catch (const pg::QueryError& e) {
    EXPECT_EQ(e.sqlstate(), "42601");  // syntax_error
    EXPECT_NE(e.message().find("syntax error"), std::string::npos) << e.message();
    EXPECT_NE(std::string(e.what()).find("SELEC 1"), std::string::npos) << e.what();
    EXPECT_NE(e.server().find(server_->dir()), std::string::npos) << e.server();
  }
  try {
    pg.exec("SELECT * FROM missing_table");
    FAIL() << "no error";
  } catch (const pg::QueryError& e) {
    EXPECT_EQ(e.sqlstate(), "42P01");
  }
  pg.exec("INSERT INTO users VALUES (1, 'a@example.com')");
  try {
    pg.exec("INSERT INTO users VALUES ($1, $2)", 2, "a@example.com");
    FAIL() << "no error";
  } catch (const pg::QueryError& e) {
    EXPECT_EQ(e.sqlstate(), "23505");  // unique_violation
    EXPECT_EQ(e.constraint(), "users_email_key");
    EXPECT_NE(e.detail().find("a@example.com"), std::string::npos) << e.detail();
  }
  // A bad prepared statement fails at its first use, and is not marked
  // prepared: it fails the same way every time.
  pg.prepare("broken", "SELECT nope FROM users");
  for (int i = 0; i < 2; ++i) {
    try {
      pg.execute("broken");
      FAIL() << "no error";
    } catch (const pg::QueryError& e) {
      EXPECT_EQ(e.sqlstate(), "42703");  // undefined_column
    }
  }
  // Wrong parameter count.
  EXPECT_THROW(pg.exec("SELECT $1::int + $2::int", 1), pg::QueryError);
  EXPECT_EQ(pg.exec("SELECT count(*) FROM users").value<int64_t>(), 1);
  const pg::Stats s = pg.stats();
  EXPECT_EQ(s.query_errors, 6u);
  EXPECT_EQ(s.connections_lost, 0u);
  EXPECT_EQ(s.discarded, 0u);
  pg.close();
}

FIBER_TEST_F(PgServerTest, TransactionControlIsRefusedOutsideTransaction) {
  pg::Client pg(PgConfigFor(*server_, 1));
  for (const char* sql : {"BEGIN", "  begin isolation level serializable", "COMMIT",
                          "-- comment\nROLLBACK", "/* x */ start transaction", "END", "abort"}) {
    EXPECT_THROW(pg.exec(sql), std::invalid_argument) << sql;
  }
  pg.prepare("sneaky", "BEGIN");
  EXPECT_THROW(pg.execute("sneaky"), std::invalid_argument);
  EXPECT_EQ(pg.exec("SELECT 'begin'::text").value<std::string>(), "begin");
  pg.close();
}

FIBER_TEST_F(PgServerTest, EmptyResultsAndCommandTags) {
  pg::Client pg(PgConfigFor(*server_));
  auto r = pg.exec("SELECT 1 WHERE false");
  EXPECT_TRUE(r.empty());
  EXPECT_EQ(r.command(), "SELECT 0");
  EXPECT_THROW(r.value<int32_t>(), pg::TypeError);
  EXPECT_EQ(pg.exec("CREATE TABLE x (a int)").command(), "CREATE TABLE");
  pg.close();
}

}  // namespace
}  // namespace spindle::test
