// activation.cpp: see activation.hpp.
#include "activation.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace spindle::test {
namespace {

sockaddr_un UnixAddress(const std::string& path) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof(addr.sun_path)) throw std::runtime_error("socket path too long");
  std::strncpy(addr.sun_path, path.c_str(), sizeof(addr.sun_path) - 1);
  return addr;
}

}  // namespace

int ListenUnixSocket(const std::string& path, int backlog) {
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un addr = UnixAddress(path);
  if (fd < 0 || bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      chmod(path.c_str(), 0666) != 0 || listen(fd, backlog) != 0) {
    std::string err = std::strerror(errno);
    if (fd >= 0) close(fd);
    throw std::runtime_error("listen('" + path + "'): " + err);
  }
  return fd;
}

NotifySocket::NotifySocket(std::string path) : path_(std::move(path)) {
  fd_ = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  sockaddr_un addr = UnixAddress(path_);
  if (fd_ < 0 || bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    throw std::runtime_error("notify socket '" + path_ + "': " + std::strerror(errno));
  }
  // Like PID 1: learn each sender's pid (NotifyAccess=main accepts the
  // main pid only).
  int one = 1;
  setsockopt(fd_, SOL_SOCKET, SO_PASSCRED, &one, sizeof(one));
}

NotifySocket::~NotifySocket() {
  if (fd_ >= 0) close(fd_);
  unlink(path_.c_str());
}

void NotifySocket::Drain(int timeout_ms) {
  pollfd p{fd_, POLLIN, 0};
  if (poll(&p, 1, timeout_ms) <= 0) return;
  char buf[4096];
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(ucred))];
  for (;;) {
    iovec iov{buf, sizeof(buf)};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof(control);
    ssize_t n = recvmsg(fd_, &msg, 0);
    if (n < 0) return;
    pid_t sender = -1;
    for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
      if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_CREDENTIALS) {
        ucred cred;
        std::memcpy(&cred, CMSG_DATA(c), sizeof(cred));
        sender = cred.pid;
      }
    }
    messages_.emplace_back(buf, static_cast<size_t>(n));
    senders_.push_back(sender);
  }
}

const std::vector<pid_t>& NotifySocket::senders() {
  Drain(0);
  return senders_;
}

const std::vector<std::string>& NotifySocket::messages() {
  Drain(0);
  return messages_;
}

size_t NotifySocket::Count(const std::string& needle) {
  Drain(0);
  size_t n = 0;
  for (const auto& m : messages_) n += m.find(needle) != std::string::npos;
  return n;
}

bool NotifySocket::WaitFor(const std::string& needle, std::chrono::milliseconds timeout,
                           size_t count) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (Count(needle) >= count) return true;
    if (std::chrono::steady_clock::now() > deadline) return false;
    Drain(20);
  }
}

ActivatedDaemon SpawnActivated(const std::string& binary, const std::string& config,
                               const std::string& log, int listen_fd,
                               const std::string& notify_path) {
  return SpawnActivated(binary, config, log, std::vector<int>{listen_fd}, notify_path);
}

ActivatedDaemon SpawnActivated(const std::string& binary, const std::string& config,
                               const std::string& log, const std::vector<int>& listen_fds,
                               const std::string& notify_path) {
  ActivatedDaemon d;
  d.log = log;
  // Everything the child needs is built before fork(): the test process has
  // threads (load clients), so the child only makes system calls.
  std::vector<std::string> env;
  for (char** e = environ; *e; ++e) {
    std::string_view v(*e);
    if (v.rfind("LISTEN_", 0) == 0 || v.rfind("NOTIFY_SOCKET=", 0) == 0) continue;
    env.emplace_back(v);
  }
  env.push_back("LISTEN_FDS=" + std::to_string(listen_fds.size()));
  env.push_back("NOTIFY_SOCKET=" + notify_path);
  char listen_pid[32] = "LISTEN_PID=";
  std::vector<char*> envp;
  for (auto& e : env) envp.push_back(e.data());
  envp.push_back(listen_pid);
  envp.push_back(nullptr);
  std::vector<char*> argv = {const_cast<char*>(binary.c_str()), const_cast<char*>("-c"),
                             const_cast<char*>(config.c_str()), nullptr};
  pid_t pid = fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    setpgid(0, 0);
    int logfd = open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (logfd >= 0) {
      dup2(logfd, 1);
      dup2(logfd, 2);
    }
    // systemd's layout: the passed sockets are fds 3, 4, ..., without
    // CLOEXEC. Move them out of that range first so no dup2 clobbers one.
    int moved[16];
    size_t count = listen_fds.size() < 16 ? listen_fds.size() : 16;
    for (size_t i = 0; i < count; ++i) moved[i] = fcntl(listen_fds[i], F_DUPFD_CLOEXEC, 64);
    for (size_t i = 0; i < count; ++i) dup2(moved[i], 3 + static_cast<int>(i));
    // LISTEN_PID=<our own pid>, formatted without allocating.
    char digits[16];
    int n = 0;
    for (pid_t p = getpid(); p > 0; p /= 10) digits[n++] = static_cast<char>('0' + p % 10);
    size_t at = std::strlen(listen_pid);
    while (n > 0) listen_pid[at++] = digits[--n];
    listen_pid[at] = '\0';
    execve(binary.c_str(), argv.data(), envp.data());
    _exit(127);
  }
  setpgid(pid, pid);
  d.pid = pid;
  return d;
}

int WaitExit(pid_t pid, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    int status = 0;
    pid_t r = waitpid(pid, &status, WNOHANG);
    if (r == pid) return status;
    if (r < 0) return -1;
    if (std::chrono::steady_clock::now() > deadline) return -1;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

}  // namespace spindle::test
