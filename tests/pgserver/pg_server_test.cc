// Tests of the PgServer test helper (tests/support/pg_server): a cluster
// that starts and answers, keeps its data across a crash (Kill + Restart),
// refuses a wrong password, runs beside another instance, and cleans up
// after itself. Plain blocking gtest (no scheduler): the helper uses libpq.
#include "pg_server.hpp"

#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>

namespace spindle::test {
namespace {

using ConnPtr = std::unique_ptr<PGconn, decltype(&PQfinish)>;

ConnPtr Connect(const std::string& conninfo) {
  return ConnPtr(PQconnectdb((conninfo + " connect_timeout=5").c_str()), &PQfinish);
}

// The first value of `sql` on an open connection; "" when it failed.
std::string ValueOn(PGconn* conn, const char* sql) {
  PGresult* res = PQexec(conn, sql);
  std::string v;
  if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) > 0) v = PQgetvalue(res, 0, 0);
  PQclear(res);
  return v;
}

// Alive and not a zombie.
bool ProcessAlive(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(in, line)) return false;
  const size_t paren = line.rfind(')');
  return paren != std::string::npos && paren + 2 < line.size() && line[paren + 2] != 'Z' &&
         line[paren + 2] != 'X';
}

TEST(PgServer, ExecCreatesAndQueryReadsBack) {
  PgServer pg;
  ASSERT_TRUE(pg.running());
  EXPECT_TRUE(std::filesystem::exists(pg.socket_dir() + "/.s.PGSQL.5432"));
  EXPECT_EQ(pg.conninfo(), "host=" + pg.dir() +
                               " port=5432 user=spindle password=spindle-test dbname=postgres");
  pg.Exec("CREATE TABLE t (id int PRIMARY KEY, name text)");
  pg.Exec("INSERT INTO t VALUES (1, 'one'), (2, 'two'), (3, NULL)");
  EXPECT_EQ(pg.Query("SELECT count(*) FROM t"), "3");
  EXPECT_EQ(pg.Query("SELECT name FROM t WHERE id = 2"), "two");
  EXPECT_EQ(pg.Query("SELECT name FROM t WHERE id = 3"), "");  // NULL
  EXPECT_EQ(pg.Query("SHOW server_encoding"), "UTF8");
  EXPECT_EQ(pg.Query("SHOW listen_addresses"), "");
  EXPECT_EQ(pg.Query("SHOW fsync"), "off");
}

TEST(PgServer, ExecAndQueryThrowWithTheServersMessage) {
  PgServer pg;
  try {
    pg.Exec("SELEC 1");
    FAIL() << "no throw";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("syntax error"), std::string::npos) << e.what();
  }
  try {
    (void)pg.Query("SELECT 1 WHERE false");
    FAIL() << "no throw";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("no row"), std::string::npos) << e.what();
  }
}

TEST(PgServer, KillThenRestartKeepsTheDataAndEndsTheBackends) {
  PgServer pg;
  pg.Exec("CREATE TABLE kept (v int)");
  pg.Exec("INSERT INTO kept SELECT generate_series(1, 100)");
  ConnPtr held = Connect(pg.conninfo());
  ASSERT_EQ(PQstatus(held.get()), CONNECTION_OK) << PQerrorMessage(held.get());
  const pid_t backend = std::atoi(ValueOn(held.get(), "SELECT pg_backend_pid()").c_str());
  ASSERT_GT(backend, 0);
  const pid_t postmaster = pg.pid();

  pg.Kill();
  EXPECT_FALSE(pg.running());
  EXPECT_FALSE(ProcessAlive(postmaster));
  EXPECT_FALSE(ProcessAlive(backend));  // its own session: killed by pid, not by group
  EXPECT_TRUE(std::filesystem::exists(pg.dir() + "/data/postmaster.pid"));  // stale

  pg.Restart();
  ASSERT_TRUE(pg.running());
  EXPECT_NE(pg.pid(), postmaster);
  EXPECT_EQ(pg.Query("SELECT sum(v) FROM kept"), "5050");
  EXPECT_EQ(ValueOn(held.get(), "SELECT 1"), "");  // the old connection is gone
  pg.Restart();  // Restart() of a running server kills it first
  EXPECT_EQ(pg.Query("SELECT count(*) FROM kept"), "100");
}

// A backend busy in a query does not notice the postmaster's death until it
// next waits; Kill() must end it itself (it is in a session of its own).
TEST(PgServer, KillEndsABackendBusyInAQuery) {
  PgServer pg;
  ConnPtr busy = Connect(pg.conninfo());
  ASSERT_EQ(PQstatus(busy.get()), CONNECTION_OK) << PQerrorMessage(busy.get());
  const pid_t backend = std::atoi(ValueOn(busy.get(), "SELECT pg_backend_pid()").c_str());
  ASSERT_GT(backend, 0);
  ASSERT_EQ(PQsendQuery(busy.get(), "SELECT count(*) FROM generate_series(1, 10000000000)"), 1);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  const auto start = std::chrono::steady_clock::now();
  pg.Kill();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
  EXPECT_FALSE(ProcessAlive(backend));
  pg.Start();
  EXPECT_EQ(pg.Query("SELECT 1"), "1");
}

TEST(PgServer, StopDisconnectsClientsAndStartComesBack) {
  PgServer pg;
  pg.Exec("CREATE TABLE s (v int); INSERT INTO s VALUES (7)");
  ConnPtr held = Connect(pg.conninfo());
  ASSERT_EQ(PQstatus(held.get()), CONNECTION_OK) << PQerrorMessage(held.get());
  pg.Stop();
  EXPECT_FALSE(pg.running());
  EXPECT_FALSE(std::filesystem::exists(pg.dir() + "/data/postmaster.pid"));  // clean exit
  EXPECT_EQ(ValueOn(held.get(), "SELECT 1"), "");
  EXPECT_THROW(pg.Exec("SELECT 1"), std::runtime_error);
  pg.Start();
  EXPECT_EQ(pg.Query("SELECT v FROM s"), "7");
  EXPECT_THROW(pg.Start(), std::runtime_error);  // already running
  pg.Stop();
  pg.Stop();  // idempotent
}

TEST(PgServer, WrongPasswordIsRefused) {
  PgServer pg;
  ConnPtr bad = Connect("host=" + pg.socket_dir() +
                        " port=5432 user=spindle password=wrong dbname=postgres");
  EXPECT_EQ(PQstatus(bad.get()), CONNECTION_BAD);
  EXPECT_NE(std::string(PQerrorMessage(bad.get())).find("password authentication failed"),
            std::string::npos)
      << PQerrorMessage(bad.get());
  ConnPtr none = Connect("host=" + pg.socket_dir() + " port=5432 user=spindle dbname=postgres");
  EXPECT_EQ(PQstatus(none.get()), CONNECTION_BAD);
  ConnPtr good = Connect(pg.conninfo());
  EXPECT_EQ(PQstatus(good.get()), CONNECTION_OK) << PQerrorMessage(good.get());
}

TEST(PgServer, TwoInstancesRunSideBySide) {
  PgServer a;
  PgServer b;
  ASSERT_NE(a.dir(), b.dir());
  a.Exec("CREATE TABLE only_a (v int); INSERT INTO only_a VALUES (1)");
  EXPECT_EQ(a.Query("SELECT v FROM only_a"), "1");
  EXPECT_THROW(b.Exec("SELECT v FROM only_a"), std::runtime_error);
  b.Kill();
  EXPECT_EQ(a.Query("SELECT count(*) FROM only_a"), "1");  // untouched by b's crash
  b.Restart();
  EXPECT_EQ(b.Query("SELECT 2"), "2");
}

TEST(PgServer, OptionsReachTheServer) {
  PgServerOptions o;
  o.password = "it's a pass\\word";  // needs conninfo quoting
  o.max_connections = 7;
  o.extra_args = {"-c", "work_mem=8MB"};
  PgServer pg(o);
  EXPECT_EQ(pg.Query("SHOW max_connections"), "7");
  EXPECT_EQ(pg.Query("SHOW work_mem"), "8MB");
  ConnPtr conn = Connect(pg.conninfo());
  EXPECT_EQ(PQstatus(conn.get()), CONNECTION_OK) << PQerrorMessage(conn.get());
}

TEST(PgServer, BadExtraArgumentFailsWithTheLog) {
  PgServerOptions o;
  o.extra_args = {"-c", "no_such_setting_at_all=1"};
  try {
    PgServer pg(o);
    FAIL() << "started";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("no_such_setting_at_all"), std::string::npos)
        << e.what();
  }
}

TEST(PgServer, RunsAsNobodyWhenRoot) {
  PgServer pg;
  struct stat st{};
  ASSERT_EQ(::stat((pg.dir() + "/data").c_str(), &st), 0);
  if (::geteuid() == 0) {
    EXPECT_NE(st.st_uid, 0u);
  } else {
    EXPECT_EQ(st.st_uid, ::geteuid());
  }
  EXPECT_EQ(pg.Query("SELECT current_user"), "spindle");
}

TEST(PgServer, DestructorKillsTheServerAndRemovesTheDir) {
  std::string dir;
  pid_t postmaster = -1;
  pid_t backend = -1;
  ConnPtr held(nullptr, &PQfinish);
  {
    PgServer pg;
    dir = pg.dir();
    postmaster = pg.pid();
    held = Connect(pg.conninfo());
    backend = std::atoi(ValueOn(held.get(), "SELECT pg_backend_pid()").c_str());
    ASSERT_GT(backend, 0);
  }
  EXPECT_FALSE(std::filesystem::exists(dir));
  EXPECT_FALSE(ProcessAlive(postmaster));
  EXPECT_FALSE(ProcessAlive(backend));
}

}  // namespace
}  // namespace spindle::test
