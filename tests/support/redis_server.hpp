// RedisServer: runs a real /usr/bin/redis-server for a test, listening on a
// unix socket in a fresh temp dir (plus a free 127.0.0.1 TCP port only when
// asked), with persistence off (--save '' --appendonly no), an optional
// password and, by default, `--enable-debug-command local` (DEBUG SLEEP).
//
// Thread contract: a plain blocking helper for test threads (and usable from
// inside a fiber, where its short bounded waits block the worker briefly).
// Every wait is bounded; failures throw std::runtime_error carrying the tail
// of redis-server's log. The destructor kills the server and removes the dir.
//
// Typical use:
//   spindle::test::RedisServer redis;              // started and answering
//   cfg.address = redis.address();                 // "unix:/tmp/.../redis.sock"
//   redis.Kill(); ... redis.Start();               // crash and come back
#pragma once

#include <sys/types.h>

#include <chrono>
#include <string>
#include <vector>

namespace spindle::test {

struct RedisServerOptions {
  std::string password;        // non-empty: --requirepass
  bool enable_debug = true;    // --enable-debug-command local
  bool tcp = false;            // also listen on a free 127.0.0.1 port
  std::vector<std::string> extra_args;  // appended to the command line
  std::chrono::milliseconds start_timeout{10000};
};

class RedisServer {
 public:
  explicit RedisServer(RedisServerOptions options = {});
  ~RedisServer();
  RedisServer(const RedisServer&) = delete;
  RedisServer& operator=(const RedisServer&) = delete;

  // Starts redis-server and waits (bounded) until it answers PING on the
  // socket. Throws if already running or if it does not come up.
  void Start();
  // SIGTERM, then a bounded wait for exit (SIGKILL after 5 s).
  void Stop();
  // SIGKILL and reap: a crash, as the client sees it.
  void Kill();
  // Kill() if running, then Start() on the same socket path and port.
  void Restart();

  bool running() const noexcept { return pid_ > 0; }
  pid_t pid() const noexcept { return pid_; }
  const std::string& dir() const noexcept { return dir_; }
  const std::string& socket_path() const noexcept { return socket_path_; }
  // The unix socket as a client address: "unix:<path>".
  std::string address() const { return "unix:" + socket_path_; }
  // "127.0.0.1:<port>"; empty unless options.tcp.
  std::string tcp_address() const;
  int port() const noexcept { return port_; }
  // The last few KiB of the server's log file (for failure messages).
  std::string LogTail() const;

 private:
  bool Answers() const;
  void Reap(std::chrono::milliseconds wait);

  RedisServerOptions options_;
  std::string dir_;
  std::string socket_path_;
  int port_ = 0;
  pid_t pid_ = -1;
};

}  // namespace spindle::test
