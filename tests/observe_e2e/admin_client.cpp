// admin_client.cpp: see admin_client.hpp.
#include "admin_client.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace spindle::test {
namespace {

struct Fd {
  int fd;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

int RemainingMs(std::chrono::steady_clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - std::chrono::steady_clock::now());
  return left.count() > 0 ? static_cast<int>(left.count()) : 0;
}

}  // namespace

AdminReply AdminGet(const std::string& socket_path, const std::string& target,
                    std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  Fd s{::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)};
  if (s.fd < 0) throw std::runtime_error(std::string("socket: ") + std::strerror(errno));
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (socket_path.size() >= sizeof(addr.sun_path)) throw std::runtime_error("path too long");
  std::memcpy(addr.sun_path, socket_path.c_str(), socket_path.size() + 1);
  if (::connect(s.fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    throw std::runtime_error("connect '" + socket_path + "': " + std::strerror(errno));
  }
  std::string req = "GET " + target + " HTTP/1.0\r\nHost: localhost\r\n\r\n";
  if (::send(s.fd, req.data(), req.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(req.size())) {
    throw std::runtime_error(std::string("send: ") + std::strerror(errno));
  }
  // HTTP/1.0 without keep-alive: the reply ends when the server closes.
  std::string raw;
  char buf[16384];
  for (;;) {
    pollfd p{s.fd, POLLIN, 0};
    int rc = ::poll(&p, 1, RemainingMs(deadline));
    if (rc == 0) throw std::runtime_error("admin reply for '" + target + "' timed out");
    if (rc < 0 && errno != EINTR) throw std::runtime_error(std::strerror(errno));
    ssize_t n = ::recv(s.fd, buf, sizeof(buf), 0);
    if (n == 0) break;
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      throw std::runtime_error(std::string("recv: ") + std::strerror(errno));
    }
    raw.append(buf, static_cast<size_t>(n));
  }
  AdminReply r;
  auto end = raw.find("\r\n\r\n");
  bool http = raw.compare(0, 9, "HTTP/1.1 ") == 0 || raw.compare(0, 9, "HTTP/1.0 ") == 0;
  if (end == std::string::npos || !http) {
    throw std::runtime_error("malformed admin reply: " + raw.substr(0, 200));
  }
  r.head = raw.substr(0, end);
  r.body = raw.substr(end + 4);
  r.status = std::stoi(raw.substr(9, 3));
  return r;
}

}  // namespace spindle::test
