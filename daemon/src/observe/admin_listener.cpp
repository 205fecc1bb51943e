// admin_listener.cpp: see admin_listener.hpp.
#include "observe/admin_listener.hpp"

#include <spindle/io.hpp>

#include "observe/admin_connection.hpp"

#include <spdlog/spdlog.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>
#include <vector>

namespace spindle::observe {
namespace {

std::string Errno(const std::string& what) { return what + ": " + std::strerror(errno); }

int OpenUnix(const AdminListenConfig& c, std::string* err) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (c.path.size() >= sizeof addr.sun_path) {
    *err = "admin listener: socket path '" + c.path + "' is too long";
    return -1;
  }
  std::memcpy(addr.sun_path, c.path.c_str(), c.path.size() + 1);
  struct stat st;
  if (lstat(c.path.c_str(), &st) == 0) {
    if (!S_ISSOCK(st.st_mode)) {
      *err = "admin listener: '" + c.path + "' exists and is not a socket";
      return -1;
    }
    ::unlink(c.path.c_str());  // a stale socket from an earlier run
  }
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    *err = Errno("admin listener: socket");
    return -1;
  }
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    *err = Errno("admin listener: bind '" + c.path + "'");
    ::close(fd);
    return -1;
  }
  if (chmod(c.path.c_str(), c.mode) != 0) {
    *err = Errno("admin listener: chmod '" + c.path + "'");
    ::close(fd);
    return -1;
  }
  return fd;
}

int OpenTcp(const AdminListenConfig& c, std::string* err) {
  sockaddr_storage ss{};
  socklen_t len = 0;
  auto* v4 = reinterpret_cast<sockaddr_in*>(&ss);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&ss);
  if (inet_pton(AF_INET, c.host.c_str(), &v4->sin_addr) == 1) {
    if ((ntohl(v4->sin_addr.s_addr) >> 24) != 127) {
      *err = "admin listener: host '" + c.host + "' is not a loopback address";
      return -1;
    }
    v4->sin_family = AF_INET;
    v4->sin_port = htons(c.port);
    len = sizeof *v4;
  } else if (inet_pton(AF_INET6, c.host.c_str(), &v6->sin6_addr) == 1) {
    if (!IN6_IS_ADDR_LOOPBACK(&v6->sin6_addr)) {
      *err = "admin listener: host '" + c.host + "' is not a loopback address";
      return -1;
    }
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(c.port);
    len = sizeof *v6;
  } else {
    *err = "admin listener: host '" + c.host + "' is not an IP address literal";
    return -1;
  }
  int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    *err = Errno("admin listener: socket");
    return -1;
  }
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (bind(fd, reinterpret_cast<sockaddr*>(&ss), len) != 0) {
    *err = Errno("admin listener: bind '" + c.host + ":" + std::to_string(c.port) + "'");
    ::close(fd);
    return -1;
  }
  return fd;
}

// The accept loop. Connection fibers are tracked so that cancelling the loop
// also ends them (a worker stopping must not wait for an idle scraper).
void AcceptLoop(int listen_fd, const MetricsRegion& region,
                std::shared_ptr<const AdminOptions> opts) {
  const AdminOptions& options = *opts;
  std::vector<Fiber> conns;
  for (;;) {
    int err = 0;
    int fd = spindle::accept(listen_fd, Deadline::never(), &err);
    if (fd < 0) {
      if (err == ECANCELED || this_fiber::is_cancelled()) break;
      if (err == EAGAIN || err == EINTR || err == ECONNABORTED) continue;
      spdlog::error("admin listener fd '{}': accept failed: '{}'", listen_fd, std::strerror(err));
      if (this_fiber::sleep_for(std::chrono::milliseconds(100)) == WaitStatus::kCancelled) break;
      continue;
    }
    std::erase_if(conns, [](const Fiber& f) { return f.done(); });
    if (conns.size() >= options.max_connections) {
      spdlog::warn("admin listener: '{}' connections open, closing a new one", conns.size());
      ::close(fd);
      continue;
    }
    conns.push_back(spawn([fd, &region, opts] { ServeAdminConnection(fd, region, *opts); },
                          "admin connection"));
  }
  for (Fiber& f : conns) f.cancel();
  for (Fiber& f : conns) {
    if (f.joinable()) f.join();
  }
}

}  // namespace

int OpenAdminListener(const AdminListenConfig& config, std::string* err) {
  std::string local;
  if (!err) err = &local;
  if (config.path.empty() == config.host.empty()) {
    *err = "admin listener: set either a unix socket path or a host and port";
    return -1;
  }
  int fd = config.path.empty() ? OpenTcp(config, err) : OpenUnix(config, err);
  if (fd < 0) return -1;
  if (listen(fd, config.backlog) != 0) {
    *err = Errno("admin listener: listen");
    ::close(fd);
    return -1;
  }
  return fd;
}

uint16_t BoundPort(int listen_fd) {
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  if (getsockname(listen_fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0) return 0;
  if (ss.ss_family == AF_INET) return ntohs(reinterpret_cast<sockaddr_in*>(&ss)->sin_port);
  if (ss.ss_family == AF_INET6) return ntohs(reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port);
  return 0;
}

Fiber StartAdminListener(int listen_fd, const MetricsRegion& region, AdminOptions options) {
  auto opts = std::make_shared<const AdminOptions>(options);
  return spawn([listen_fd, &region, opts] { AcceptLoop(listen_fd, region, opts); },
               "admin listener");
}

}  // namespace spindle::observe
