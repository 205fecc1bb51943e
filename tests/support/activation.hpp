// Socket activation without systemd, for tests: the test owns the listening
// unix socket (as spindled.socket would) and a NOTIFY_SOCKET datagram socket
// (as PID 1 would), and starts spindled the way systemd does: the listening
// socket as fd 3, LISTEN_FDS=1 and LISTEN_PID=<the child's pid> set between
// fork and exec, NOTIFY_SOCKET=<path>.
//
// Thread contract: test threads only; every wait is bounded.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <string>
#include <vector>

namespace spindle::test {

// A bound, listening AF_UNIX stream socket (mode 0666); throws on failure.
int ListenUnixSocket(const std::string& path, int backlog = 4096);

class NotifySocket {
 public:
  explicit NotifySocket(std::string path);
  ~NotifySocket();
  NotifySocket(const NotifySocket&) = delete;
  NotifySocket& operator=(const NotifySocket&) = delete;

  const std::string& path() const { return path_; }
  // Every datagram received so far (each is "KEY=value\n..." as sent).
  const std::vector<std::string>& messages();
  // The sending pid of each message (SCM_CREDENTIALS), in the same order.
  const std::vector<pid_t>& senders();
  // Waits until `count` datagrams (in total) contain `needle`.
  bool WaitFor(const std::string& needle, std::chrono::milliseconds timeout, size_t count = 1);
  size_t Count(const std::string& needle);

 private:
  void Drain(int timeout_ms);

  std::string path_;
  int fd_ = -1;
  std::vector<std::string> messages_;
  std::vector<pid_t> senders_;
};

struct ActivatedDaemon {
  pid_t pid = -1;
  std::string log;
};

// Starts `binary -c config` in its own process group with stdout/stderr
// appended to `log`, listen_fd as fd 3 and the systemd environment.
ActivatedDaemon SpawnActivated(const std::string& binary, const std::string& config,
                               const std::string& log, int listen_fd,
                               const std::string& notify_path);
// The same with several sockets (as a .socket unit with several
// ListenStream= lines): listen_fds[i] becomes fd 3 + i, LISTEN_FDS=size.
ActivatedDaemon SpawnActivated(const std::string& binary, const std::string& config,
                               const std::string& log, const std::vector<int>& listen_fds,
                               const std::string& notify_path);

// Waits for the process to exit; returns its wait status, or -1 on timeout.
int WaitExit(pid_t pid, std::chrono::milliseconds timeout);

}  // namespace spindle::test
