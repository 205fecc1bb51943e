// NginxHarness: runs the real Debian /usr/sbin/nginx for a test, with our
// module loaded by absolute path, in a fresh temp prefix (conf, logs, pid and
// every *_temp_path live there), listening on a free 127.0.0.1 port.
//
// Thread contract: a plain blocking helper for test threads; not for use
// inside a fiber scheduler. Every wait is bounded; failures throw
// std::runtime_error carrying nginx's own output (error log, stderr).
//
// Typical use:
//   spindle::test::NginxOptions o;
//   o.http = "upstream app { server unix:${DIR}/d.sock; keepalive 4; }";
//   o.server = "location / { spindle_pass app; }";
//   spindle::test::NginxHarness nginx(o);
//   HttpClient c(nginx.port()); ...
//
// Substitutions in `main`, `http` and `server`: ${PORT} (the listen port),
// ${PREFIX} (the temp prefix, no trailing slash), ${MODULE} (the module path),
// and any key of NginxOptions::vars as ${KEY}.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <string>

namespace spindle::test {

// Where the build put the module (the fixed contract of nginx-module/).
std::string DefaultNginxModulePath();

struct NginxOptions {
  std::string main;    // extra main-context directives (e.g. worker_rlimit_nofile)
  std::string http;    // extra http-level directives and blocks (upstreams, ...)
  // Body of the default server, which listens on 127.0.0.1:${PORT}. Leave
  // empty to write your own `server { listen 127.0.0.1:${PORT}; }` in `http`.
  std::string server;
  std::map<std::string, std::string> vars;  // extra ${KEY} substitutions
  bool load_module = true;
  std::string module_path = DefaultNginxModulePath();
  int worker_processes = 1;
  int worker_connections = 1024;
  // Workers run as root (`user root;`) when the test runs as root, so that
  // they can reach sockets and temp dirs the test created; otherwise the
  // packaged default (nobody) could not open them.
  bool user_root = true;
  std::string error_log_level = "info";
  std::chrono::milliseconds start_timeout{15000};
  std::chrono::milliseconds stop_timeout{10000};
};

// Result of `nginx -t` on a config built from options (no server started).
struct NginxCheck {
  bool ok = false;
  std::string output;  // nginx's stderr and stdout
};

class NginxHarness {
 public:
  // Starts nginx and waits until it accepts TCP connections on port().
  explicit NginxHarness(NginxOptions options);
  ~NginxHarness();  // Stop()
  NginxHarness(const NginxHarness&) = delete;
  NginxHarness& operator=(const NginxHarness&) = delete;

  // Runs `nginx -t` on the config these options produce, in a throwaway
  // prefix. Use it to test that a bad config is rejected with its message.
  static NginxCheck CheckConfig(const NginxOptions& options);

  uint16_t port() const { return port_; }
  const std::string& prefix() const { return prefix_; }
  pid_t master_pid() const { return pid_; }
  std::string ConfigText() const;

  std::string ErrorLog() const;      // logs/error.log so far
  std::string AccessLog() const;     // logs/access.log so far
  std::string StartupOutput() const; // nginx's own stderr (before error_log)
  // True when the error log shows a worker that died on a signal.
  bool WorkerCrashed() const;
  // Waits (bounded) until the error log contains `needle`.
  bool WaitForLog(const std::string& needle,
                  std::chrono::milliseconds timeout = std::chrono::seconds(5)) const;

  // Rewrites the config (new server/http bodies if given), checks it with
  // `nginx -t` (throws with the message if invalid), sends SIGHUP and waits
  // until the new workers have started (needs error_log_level notice or
  // more verbose: it counts "start worker process" lines).
  void Reload();
  void Reload(const std::string& server, const std::string& http);

  // SIGQUIT (graceful), then SIGKILL to the process group after stop_timeout.
  // Idempotent. Returns the master's exit status as from waitpid (or -1).
  int Stop();

 private:
  std::string Render(const std::string& text) const;
  void WriteConfig();
  void Start();
  bool Accepting() const;

  NginxOptions options_;
  std::string prefix_;
  uint16_t port_ = 0;
  pid_t pid_ = -1;
  bool keep_prefix_ = false;
};

}  // namespace spindle::test
