// PgServer: see pg_server.hpp. Plain POSIX process control (fork/exec with
// an optional switch to `nobody`, kill, waitpid with bounded polling), /proc
// to find the postmaster's children (each runs in a session of its own, so
// killing its process group does not reach them), and blocking libpq for the
// readiness check and Exec()/Query().
#include "pg_server.hpp"

#include <fcntl.h>
#include <grp.h>
#include <libpq-fe.h>
#include <pwd.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <dirent.h>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace spindle::test {
namespace {

constexpr const char* kBinDir = "/usr/lib/postgresql/15/bin";
constexpr auto kInitTimeout = std::chrono::seconds(60);
constexpr auto kKillWait = std::chrono::seconds(5);

[[noreturn]] void Fail(const std::string& what) {
  throw std::runtime_error("pg test server: " + what);
}

std::string Tail(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string s = ss.str();
  if (s.size() > 4096) s = s.substr(s.size() - 4096);
  return s;
}

// A conninfo value, quoted when libpq needs it.
std::string Quote(const std::string& v) {
  if (!v.empty() && v.find_first_of(" '\\\t\n") == std::string::npos) return v;
  std::string q = "'";
  for (char c : v) {
    if (c == '\'' || c == '\\') q += '\\';
    q += c;
  }
  return q + "'";
}

// What /proc/<pid>/stat says about a process (nullopt: no such process).
struct ProcStat {
  pid_t pid = 0;
  pid_t ppid = 0;
  char state = '?';
  unsigned long long start_time = 0;  // clock ticks since boot: tells pid reuse
};

std::optional<ProcStat> ReadStat(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(in, line)) return std::nullopt;
  const size_t paren = line.rfind(')');  // the command name may hold spaces
  if (paren == std::string::npos) return std::nullopt;
  std::istringstream fields(line.substr(paren + 1));
  ProcStat st;
  st.pid = pid;
  std::string skip;
  fields >> st.state >> st.ppid;
  for (int i = 0; i < 17; ++i) fields >> skip;  // fields 5..21
  fields >> st.start_time;                       // field 22
  if (!fields) return std::nullopt;
  return st;
}

// Every descendant of `root`, from one pass over /proc.
std::vector<ProcStat> Descendants(pid_t root) {
  std::vector<ProcStat> all;
  if (DIR* d = ::opendir("/proc")) {
    while (dirent* e = ::readdir(d)) {
      char* end = nullptr;
      const long pid = std::strtol(e->d_name, &end, 10);
      if (pid <= 0 || *end != '\0') continue;
      if (auto st = ReadStat(static_cast<pid_t>(pid))) all.push_back(*st);
    }
    ::closedir(d);
  }
  std::vector<ProcStat> out;
  std::vector<pid_t> parents = {root};
  while (!parents.empty()) {
    const pid_t parent = parents.back();
    parents.pop_back();
    for (const ProcStat& st : all) {
      if (st.ppid == parent) {
        out.push_back(st);
        parents.push_back(st.pid);
      }
    }
  }
  return out;
}

bool Gone(const ProcStat& was) {
  const auto now = ReadStat(was.pid);
  return !now || now->state == 'Z' || now->state == 'X' || now->start_time != was.start_time;
}

using ConnPtr = std::unique_ptr<PGconn, decltype(&PQfinish)>;
using ResultPtr = std::unique_ptr<PGresult, decltype(&PQclear)>;

std::string Trimmed(const char* message) {
  std::string s = message ? message : "";
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

// One statement string over a fresh connection; the result (status checked).
ResultPtr Run(const std::string& conninfo, const std::string& sql) {
  const std::string options =
      " connect_timeout=5 options='-c synchronous_commit=on -c statement_timeout=30000'";
  ConnPtr conn(PQconnectdb((conninfo + options).c_str()), &PQfinish);
  if (!conn) Fail("out of memory");
  const std::string quoted = "'" + sql.substr(0, 200) + (sql.size() > 200 ? "...'" : "'");
  if (PQstatus(conn.get()) != CONNECTION_OK) {
    Fail("cannot connect for " + quoted + ": " + Trimmed(PQerrorMessage(conn.get())));
  }
  ResultPtr res(PQexec(conn.get(), sql.c_str()), &PQclear);
  const ExecStatusType status = res ? PQresultStatus(res.get()) : PGRES_FATAL_ERROR;
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
    Fail(quoted + " failed: " + Trimmed(PQerrorMessage(conn.get())));
  }
  return res;
}

}  // namespace

PgServer::PgServer(PgServerOptions options) : options_(std::move(options)) {
  char tmpl[] = "/tmp/spindle-pg-XXXXXX";  // not $TMPDIR: `nobody` must reach it
  if (::mkdtemp(tmpl) == nullptr) Fail(std::string("mkdtemp failed: ") + std::strerror(errno));
  dir_ = tmpl;
  data_dir_ = dir_ + "/data";
  ::chmod(dir_.c_str(), 0755);  // the socket (mode 0777) is reachable by any user
  try {
    if (::geteuid() == 0) {
      const passwd* pw = ::getpwnam("nobody");
      if (pw == nullptr) Fail("running as root and there is no user 'nobody' to run postgres as");
      drop_privileges_ = true;
      uid_ = pw->pw_uid;
      gid_ = pw->pw_gid;
      if (::chown(dir_.c_str(), uid_, gid_) != 0) {
        Fail("chown '" + dir_ + "' failed: " + std::strerror(errno));
      }
    }
    InitDb();
    Start();
  } catch (...) {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
    throw;
  }
}

PgServer::~PgServer() {
  if (pid_ > 0) {
    try {
      Kill();
    } catch (const std::exception&) {
      // A straggler in uninterruptible sleep: nothing more a destructor can do.
    }
  }
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

std::string PgServer::conninfo() const {
  return "host=" + Quote(dir_) + " port=5432 user=spindle password=" +
         Quote(options_.password) + " dbname=postgres";
}

void PgServer::InitDb() {
  const std::string pwfile = dir_ + "/pwfile";
  {
    std::ofstream out(pwfile);
    out << options_.password << "\n";
    if (!out) Fail("cannot write '" + pwfile + "'");
  }
  ::chmod(pwfile.c_str(), 0600);
  if (drop_privileges_ && ::chown(pwfile.c_str(), uid_, gid_) != 0) {
    Fail("chown '" + pwfile + "' failed: " + std::strerror(errno));
  }
  const std::string log = dir_ + "/initdb.log";
  const pid_t pid = Spawn({std::string(kBinDir) + "/initdb", "-N", "-D", data_dir_, "-U",
                           "spindle", "--auth-local=scram-sha-256", "--auth-host=scram-sha-256",
                           "--pwfile=" + pwfile, "-E", "UTF8", "--no-locale"},
                          log);
  const auto give_up = std::chrono::steady_clock::now() + kInitTimeout;
  int status = 0;
  while (::waitpid(pid, &status, WNOHANG) == 0) {
    if (std::chrono::steady_clock::now() >= give_up) {
      ::kill(-pid, SIGKILL);  // initdb and the bootstrap postgres it runs
      ::waitpid(pid, &status, 0);
      Fail("initdb did not finish in time; log:\n" + Tail(log));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ::unlink(pwfile.c_str());
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    Fail("initdb failed (status " + std::to_string(status) + "); log:\n" + Tail(log));
  }
}

// Everything the child needs is built before fork(): the test process may
// have other threads, so the child only makes async-signal-safe calls.
pid_t PgServer::Spawn(std::vector<std::string> args, const std::string& log_path) const {
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  const char* dir = dir_.c_str();
  const pid_t pid = ::fork();
  if (pid < 0) Fail(std::string("fork failed: ") + std::strerror(errno));
  if (pid > 0) return pid;

  auto die = [](const char* why) {
    (void)!::write(2, why, std::strlen(why));
    ::_exit(127);
  };
  const int devnull = ::open("/dev/null", O_RDONLY);
  const int log = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  if (devnull >= 0) ::dup2(devnull, 0);
  if (log >= 0) {
    ::dup2(log, 1);
    ::dup2(log, 2);
  }
  ::close_range(3, ~0U, 0);  // none of the test's sockets and files
  ::setpgid(0, 0);           // own process group: a test's signals stay ours
  if (::chdir(dir) != 0) die("pg test server: chdir to the server dir failed\n");
  if (drop_privileges_ &&
      (::setgroups(0, nullptr) != 0 || ::setgid(gid_) != 0 || ::setuid(uid_) != 0)) {
    die("pg test server: cannot switch to user nobody\n");
  }
  ::execv(argv[0], argv.data());
  die("pg test server: exec failed\n");
  return -1;  // not reached
}

void PgServer::Start() {
  if (pid_ > 0) Fail("already running");
  // We are not running and Kill() waited for every process of the cluster:
  // a postmaster.pid left now is stale (its pid may even belong to another
  // process by now, which postgres would take for a live postmaster).
  ::unlink((data_dir_ + "/postmaster.pid").c_str());
  std::vector<std::string> args = {
      std::string(kBinDir) + "/postgres", "-D", data_dir_, "-k", dir_,
      "-c", "listen_addresses=", "-c", "fsync=off", "-c", "synchronous_commit=off",
      "-c", "full_page_writes=off", "-p", "5432",
      // Dynamic shared memory in files of the data dir, not /dev/shm: a
      // chroot (scripts/fresh-check) or container may not mount it.
      "-c", "dynamic_shared_memory_type=mmap"};
  if (options_.max_connections > 0) {
    args.insert(args.end(), {"-c", "max_connections=" + std::to_string(options_.max_connections)});
  }
  args.insert(args.end(), options_.extra_args.begin(), options_.extra_args.end());
  pid_ = Spawn(std::move(args), dir_ + "/postgres.log");

  const auto give_up = std::chrono::steady_clock::now() + options_.start_timeout;
  while (std::chrono::steady_clock::now() < give_up) {
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      Fail("postgres exited at start; log:\n" + LogTail());
    }
    if (Answers()) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  try {
    Kill();
  } catch (const std::exception&) {
    // Reported below with the log.
  }
  Fail("no answer on '" + dir_ + "/.s.PGSQL.5432' in time; log:\n" + LogTail());
}

void PgServer::Stop() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGINT);  // fast shutdown: clients disconnected, checkpoint, exit
  if (!WaitExit(kKillWait)) Kill();
}

void PgServer::Kill() {
  if (pid_ <= 0) return;
  // Stop the postmaster first so that it cannot fork while we list its
  // children; a stopped process still takes SIGKILL.
  ::kill(pid_, SIGSTOP);
  const auto stop_by = std::chrono::steady_clock::now() + std::chrono::seconds(1);
  for (auto st = ReadStat(pid_); st && st->state != 'T' && st->state != 'Z';
       st = ReadStat(pid_)) {
    if (std::chrono::steady_clock::now() >= stop_by) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  const std::vector<ProcStat> children = Descendants(pid_);
  for (const ProcStat& c : children) ::kill(c.pid, SIGKILL);
  ::kill(-pid_, SIGKILL);
  if (!WaitExit(kKillWait)) {
    int status = 0;
    ::waitpid(pid_, &status, 0);  // SIGKILL cannot be ignored: bounded
    pid_ = -1;
  }
  const auto give_up = std::chrono::steady_clock::now() + kKillWait;
  for (const ProcStat& c : children) {
    while (!Gone(c)) {
      if (std::chrono::steady_clock::now() >= give_up) {
        Fail("process " + std::to_string(c.pid) + " of the killed server is still there");
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
  }
}

void PgServer::Restart() {
  Kill();
  Start();
}

bool PgServer::WaitExit(std::chrono::milliseconds wait) {
  const auto give_up = std::chrono::steady_clock::now() + wait;
  while (pid_ > 0) {
    int status = 0;
    const pid_t r = ::waitpid(pid_, &status, WNOHANG);
    if (r == pid_ || (r < 0 && errno == ECHILD)) {
      pid_ = -1;
      return true;
    }
    if (std::chrono::steady_clock::now() >= give_up) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return true;
}

bool PgServer::Answers() const {
  ConnPtr conn(PQconnectdb((conninfo() + " connect_timeout=1").c_str()), &PQfinish);
  if (!conn || PQstatus(conn.get()) != CONNECTION_OK) return false;
  ResultPtr res(PQexec(conn.get(), "SELECT 1"), &PQclear);
  return res && PQresultStatus(res.get()) == PGRES_TUPLES_OK;
}

void PgServer::Exec(const std::string& sql) const { (void)Run(conninfo(), sql); }

std::string PgServer::Query(const std::string& sql) const {
  const ResultPtr res = Run(conninfo(), sql);
  if (PQntuples(res.get()) < 1 || PQnfields(res.get()) < 1) {
    Fail("'" + sql.substr(0, 200) + "' returned no row");
  }
  return PQgetvalue(res.get(), 0, 0);  // "" for NULL
}

std::string PgServer::LogTail() const { return Tail(dir_ + "/postgres.log"); }

}  // namespace spindle::test
