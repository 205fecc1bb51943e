// RedisServer: see redis_server.hpp. Plain POSIX process control (fork/exec,
// kill, waitpid with bounded polling) and a raw-socket PING to learn that the
// server is up, so this helper depends on nothing but libc.
#include "redis_server.hpp"

#include "free_port.hpp"

#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace spindle::test {

RedisServer::RedisServer(RedisServerOptions options) : options_(std::move(options)) {
  char tmpl[] = "/tmp/spindle-redis-XXXXXX";
  if (::mkdtemp(tmpl) == nullptr) {
    throw std::runtime_error(std::string("redis test server: mkdtemp failed: ") +
                             std::strerror(errno));
  }
  dir_ = tmpl;
  socket_path_ = dir_ + "/redis.sock";
  if (options_.tcp) port_ = FreeTcpPort();
  Start();
}

RedisServer::~RedisServer() {
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);
    Reap(std::chrono::milliseconds(5000));
  }
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

std::string RedisServer::tcp_address() const {
  if (port_ == 0) return {};
  return "127.0.0.1:" + std::to_string(port_);
}

void RedisServer::Start() {
  if (pid_ > 0) throw std::runtime_error("redis test server: already running");
  std::vector<std::string> args = {
      "/usr/bin/redis-server", "--port", std::to_string(port_),
      "--bind", "127.0.0.1", "--unixsocket", socket_path_,
      "--unixsocketperm", "700", "--save", "", "--appendonly", "no",
      "--daemonize", "no", "--dir", dir_, "--logfile", dir_ + "/redis.log",
      "--maxclients", "4000"};
  if (options_.enable_debug) {
    args.insert(args.end(), {"--enable-debug-command", "local"});
  }
  if (!options_.password.empty()) {
    args.insert(args.end(), {"--requirepass", options_.password});
  }
  args.insert(args.end(), options_.extra_args.begin(), options_.extra_args.end());

  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);

  pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("redis test server: fork failed");
  if (pid == 0) {
    // Child: quiet stdio, own process group so a test's signals stay ours.
    int devnull = ::open("/dev/null", O_RDWR);
    if (devnull >= 0) {
      ::dup2(devnull, 0);
      ::dup2(devnull, 1);
      ::dup2(devnull, 2);
    }
    ::setpgid(0, 0);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  pid_ = pid;

  const auto give_up = std::chrono::steady_clock::now() + options_.start_timeout;
  while (std::chrono::steady_clock::now() < give_up) {
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      throw std::runtime_error("redis test server: exited at start; log:\n" + LogTail());
    }
    if (Answers()) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ::kill(pid_, SIGKILL);
  Reap(std::chrono::milliseconds(5000));
  throw std::runtime_error("redis test server: no answer on '" + socket_path_ +
                           "' in time; log:\n" + LogTail());
}

void RedisServer::Stop() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGTERM);
  Reap(std::chrono::milliseconds(5000));
}

void RedisServer::Kill() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  Reap(std::chrono::milliseconds(5000));
}

void RedisServer::Restart() {
  Kill();
  Start();
}

void RedisServer::Reap(std::chrono::milliseconds wait) {
  const auto give_up = std::chrono::steady_clock::now() + wait;
  while (pid_ > 0) {
    int status = 0;
    pid_t r = ::waitpid(pid_, &status, WNOHANG);
    if (r == pid_ || (r < 0 && errno == ECHILD)) {
      pid_ = -1;
      return;
    }
    if (std::chrono::steady_clock::now() >= give_up) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, &status, 0);  // SIGKILL cannot be ignored: bounded
      pid_ = -1;
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

bool RedisServer::Answers() const {
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_un sa{};
  sa.sun_family = AF_UNIX;
  std::strncpy(sa.sun_path, socket_path_.c_str(), sizeof(sa.sun_path) - 1);
  timeval tv{0, 200 * 1000};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
  bool ok = false;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof(sa)) == 0) {
    static const char kPing[] = "*1\r\n$4\r\nPING\r\n";
    if (::send(fd, kPing, sizeof(kPing) - 1, MSG_NOSIGNAL) == sizeof(kPing) - 1) {
      char buf[64] = {};
      ssize_t n = ::recv(fd, buf, sizeof(buf) - 1, 0);
      // +PONG, or -NOAUTH with a password: both mean "serving". -LOADING not.
      ok = n > 0 && (std::strncmp(buf, "+PONG", 5) == 0 ||
                     std::strncmp(buf, "-NOAUTH", 7) == 0);
    }
  }
  ::close(fd);
  return ok;
}

std::string RedisServer::LogTail() const {
  std::ifstream in(dir_ + "/redis.log");
  std::stringstream ss;
  ss << in.rdbuf();
  std::string s = ss.str();
  if (s.size() > 4096) s = s.substr(s.size() - 4096);
  return s;
}

}  // namespace spindle::test
