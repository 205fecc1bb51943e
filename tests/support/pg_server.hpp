// PgServer: runs a real PostgreSQL 15 server for a test, in a fresh cluster
// (initdb) in a temp dir under /tmp, listening only on its unix socket
// <dir>/.s.PGSQL.5432 (listen_addresses='', so instances never clash on a
// port), with fsync, synchronous_commit and full_page_writes off and dynamic
// shared memory in files (no /dev/shm needed). Superuser
// `spindle`, scram-sha-256 password auth on the socket.
//
// PostgreSQL refuses to run as root: when the test runs as root, initdb and
// postgres run as `nobody` (the dir is chown'd to it); otherwise as the
// caller. The postmaster runs in a process group of its own.
//
// Thread contract: a plain blocking helper for test threads (and usable from
// inside a fiber, where its short bounded waits, and Exec()/Query()'s
// blocking libpq calls, block the worker briefly). Every wait is bounded;
// failures throw std::runtime_error carrying the tail of the server's log.
// The destructor kills the server (and its backends) and removes the dir.
//
// Durability: with synchronous_commit=off a commit made by a client in the
// last ~0.6 s before Kill() may be lost. Exec() and Query() run with
// synchronous_commit=on, so setup done through them survives Kill().
//
// Typical use:
//   spindle::test::PgServer pg;                     // initialised, started, answering
//   pg.Exec("CREATE TABLE t (id int PRIMARY KEY)");
//   cfg.conninfo = pg.conninfo();                   // "host=/tmp/... port=5432 ..."
//   pg.Kill(); ... pg.Restart();                    // crash and come back, data kept
//   EXPECT_EQ(pg.Query("SELECT count(*) FROM t"), "0");
#pragma once

#include <sys/types.h>

#include <chrono>
#include <string>
#include <vector>

namespace spindle::test {

struct PgServerOptions {
  std::string password = "spindle-test";  // the `spindle` superuser's
  std::vector<std::string> extra_args;    // appended to postgres's command line
  std::chrono::milliseconds start_timeout{15000};
  int max_connections = 0;                // 0: PostgreSQL's default (100)
};

class PgServer {
 public:
  // Creates the dir, runs initdb (bounded: 60 s) and Start().
  explicit PgServer(PgServerOptions options = {});
  ~PgServer();
  PgServer(const PgServer&) = delete;
  PgServer& operator=(const PgServer&) = delete;

  // Starts postgres on the cluster and waits (bounded by start_timeout) until
  // a libpq connection answers SELECT 1. Removes a postmaster.pid left by a
  // Kill(). Throws if already running or if it does not come up.
  void Start();
  // Fast shutdown (SIGINT: clients are disconnected), then a bounded wait for
  // exit; after 5 s, Kill().
  void Stop();
  // SIGKILL the postmaster and every backend and auxiliary process it had
  // (they run in sessions of their own), and wait (bounded) until they are
  // gone: a crash, as the client sees it. The next Start() runs recovery.
  void Kill();
  // Kill() if running, then Start() on the same cluster and socket.
  void Restart();

  bool running() const noexcept { return pid_ > 0; }
  pid_t pid() const noexcept { return pid_; }  // the postmaster's
  const std::string& dir() const noexcept { return dir_; }
  // Where the socket is (libpq's host=): the dir itself.
  const std::string& socket_dir() const noexcept { return dir_; }
  // "host=<dir> port=5432 user=spindle password=<pw> dbname=postgres".
  std::string conninfo() const;

  // Blocking: runs `sql` (one string; several statements are allowed) over a
  // fresh libpq connection (5 s connect timeout, 30 s statement timeout).
  // Throws std::runtime_error with the server's message on failure.
  void Exec(const std::string& sql) const;
  // As Exec(); returns the first column of the first row in text form (""
  // for NULL). Throws when the statement returns no row.
  std::string Query(const std::string& sql) const;

  // The last few KiB of the server's log file (for failure messages).
  std::string LogTail() const;

 private:
  void InitDb();
  pid_t Spawn(std::vector<std::string> args, const std::string& log_path) const;
  bool Answers() const;
  bool WaitExit(std::chrono::milliseconds wait);

  PgServerOptions options_;
  std::string dir_;
  std::string data_dir_;
  bool drop_privileges_ = false;  // running as root: run the server as nobody
  uid_t uid_ = 0;
  gid_t gid_ = 0;
  pid_t pid_ = -1;
};

}  // namespace spindle::test
