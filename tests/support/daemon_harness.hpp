// DaemonHarness: runs the real spindled for a test: writes a spindled.yaml
// into a fresh temp dir (the listen socket is ${DIR}/spindled.sock), starts
// the binary in its own process group with stderr captured to
// ${DIR}/spindled.log, and waits until its workers log that they are ready.
// Stop() sends SIGTERM, then SIGKILL to the whole group after stop_timeout;
// the destructor stops it and removes the temp dir.
//
// Thread contract: a blocking helper for test threads (not for fibers).
// Every wait is bounded; start-up failures throw std::runtime_error carrying
// the daemon's log.
//
//   spindle::test::DaemonOptions o;
//   o.yaml = "workers: 1\napps:\n  - {name: hello, path: ${HELLO_APP}, mount: /}\n";
//   spindle::test::DaemonHarness d(o);   // d.socket_path() accepts
//
// Substitutions in `yaml` and `listen`: ${DIR} (the temp dir), ${SOCK} (the
// socket path), ${HELLO_APP} (the built examples/hello app), ${PORT} and
// ${ADMIN_PORT} (free 127.0.0.1 TCP ports, picked when the text uses them,
// and picked again when the daemon could not bind one: another test took it).
// Over TCP: `o.listen = kTcpListen;`, then nginx's `server` line is
// `d.address()`.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace spindle::test {

std::string DefaultSpindledPath();
std::string DefaultHelloAppPath();

// The listen section for a loopback TCP port instead of the unix socket.
inline constexpr const char* kTcpListen = "  address: 127.0.0.1:${PORT}\n";

struct DaemonOptions {
  // Top-level YAML after the generated `listen:` section (workers, limits,
  // log, apps, ...). Must not contain `listen:` unless `listen` is empty.
  std::string yaml;
  // The listen section's body; the default is a unix socket in the temp dir.
  std::string listen = "  path: ${SOCK}\n  mode: \"0666\"\n";
  std::string binary = DefaultSpindledPath();
  // How many "worker ready" log lines to wait for (0: only the socket).
  int expect_workers = 1;
  std::chrono::milliseconds start_timeout{15000};
  std::chrono::milliseconds stop_timeout{15000};
};

class DaemonHarness {
 public:
  explicit DaemonHarness(DaemonOptions options);
  ~DaemonHarness();
  DaemonHarness(const DaemonHarness&) = delete;
  DaemonHarness& operator=(const DaemonHarness&) = delete;

  const std::string& dir() const { return dir_; }
  const std::string& socket_path() const { return socket_; }
  // The ports picked for ${PORT} and ${ADMIN_PORT} (0 when not used).
  uint16_t port() const { return port_; }
  uint16_t admin_port() const { return admin_port_; }
  // Where nginx reaches the daemon, as an upstream `server` takes it:
  // "127.0.0.1:PORT" when the listen section uses ${PORT}, else "unix:SOCK".
  std::string address() const;
  const std::string& config_path() const { return config_; }
  pid_t pid() const { return pid_; }
  bool running();

  std::string Log() const;
  size_t CountLog(const std::string& needle) const;
  // Waits (bounded) until `needle` occurs at least `count` times in the log.
  bool WaitForLog(const std::string& needle,
                  std::chrono::milliseconds timeout = std::chrono::seconds(5),
                  size_t count = 1) const;
  // pids from "master started worker" lines, latest per slot last.
  std::vector<pid_t> WorkerPids() const;

  // SIGTERM (graceful drain), then SIGKILL to the group after stop_timeout.
  // Idempotent. Returns the master's wait status (or -1 if already gone).
  int Stop();
  // SIGKILL to the whole process group at once (master and workers).
  void Kill();

 private:
  std::string Render(const std::string& text) const;
  // One start: writes the config, spawns, waits until ready. False when the
  // daemon exited because a picked port was taken (the caller retries).
  bool Start();
  int Reap(std::chrono::milliseconds timeout);

  DaemonOptions options_;
  std::string dir_;
  std::string socket_;
  std::string config_;
  std::string log_;
  uint16_t port_ = 0;
  uint16_t admin_port_ = 0;
  pid_t pid_ = -1;
  int status_ = -1;
};

// Runs `spindled --check-config -c <file>` for the given YAML text (written
// to a temp file with the same substitutions); returns exit code and output.
struct CheckResult {
  int exit_code = -1;
  std::string output;
};
CheckResult CheckSpindledConfig(const std::string& yaml_text);

}  // namespace spindle::test
