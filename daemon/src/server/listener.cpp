// listener.cpp: see listener.hpp.
#include "server/listener.hpp"

#include "server/inherited_sockets.hpp"
#include "server/socket_owner.hpp"

#include <spdlog/spdlog.h>

#include <arpa/inet.h>
#include <netdb.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace spindle::server {
namespace {

std::string Errno(const std::string& what) {
  return what + ": " + std::strerror(errno);
}

// A socket file left behind by a dead daemon is removed; one that still
// accepts connections means another spindled owns it.
std::string ClearStaleSocket(const std::string& path) {
  struct stat st;
  if (lstat(path.c_str(), &st) != 0) return {};
  if (!S_ISSOCK(st.st_mode)) return "'" + path + "' exists and is not a socket";
  int probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path.c_str(), sizeof(addr.sun_path) - 1);
  bool alive = connect(probe, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  close(probe);
  if (alive) return "'" + path + "' is in use by another process";
  unlink(path.c_str());
  return {};
}

ListenResult ListenUnix(const config::ListenConfig& cfg) {
  ListenResult r;
  if (auto err = ClearStaleSocket(cfg.path); !err.empty()) {
    r.error = err;
    return r;
  }
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    r.error = Errno("socket()");
    return r;
  }
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, cfg.path.c_str(), sizeof(addr.sun_path) - 1);
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    r.error = Errno("bind('" + cfg.path + "')");
    close(fd);
    return r;
  }
  if (chmod(cfg.path.c_str(), cfg.mode) != 0) {
    r.error = Errno("chmod('" + cfg.path + "')");
  }
  if (r.error.empty()) r.error = ChownSocketFile(cfg.path, cfg.owner, cfg.group, "listen");
  if (r.error.empty() && listen(fd, cfg.backlog) != 0) r.error = Errno("listen()");
  if (!r.error.empty()) {
    close(fd);
    unlink(cfg.path.c_str());
    return r;
  }
  r.fd = fd;
  return r;
}

ListenResult ListenTcp(const config::ListenConfig& cfg) {
  ListenResult r;
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* res = nullptr;
  std::string port = std::to_string(cfg.port);
  if (int rc = getaddrinfo(cfg.host.c_str(), port.c_str(), &hints, &res); rc != 0) {
    r.error = "cannot resolve '" + cfg.host + "': " + gai_strerror(rc);
    return r;
  }
  int fd = socket(res->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  int one = 1;
  if (fd < 0) {
    r.error = Errno("socket()");
  } else if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
             bind(fd, res->ai_addr, res->ai_addrlen) != 0) {
    r.error = Errno("bind('" + cfg.Describe() + "')");
  } else if (listen(fd, cfg.backlog) != 0) {
    r.error = Errno("listen()");
  }
  freeaddrinfo(res);
  if (!r.error.empty()) {
    if (fd >= 0) close(fd);
    return r;
  }
  r.fd = fd;
  return r;
}

}  // namespace

ListenResult OpenListener(const config::ListenConfig& cfg) {
  if (int fd = TakeInheritedSocket(cfg); fd >= 0) return {fd, true, {}};
  return cfg.is_unix() ? ListenUnix(cfg) : ListenTcp(cfg);
}

ListenResult OpenStartListener(const config::ListenConfig& cfg,
                               const config::ListenConfig* admin) {
  if (int fd = TakeInheritedSocket(cfg); fd >= 0) return {fd, true, {}};
  std::string other;
  if (int fd = TakeAnyInheritedSocket(admin, &other); fd >= 0) {
    spdlog::warn("listener: systemd passed '{}', not listen: '{}'; serving on the socket "
                 "from systemd", other, cfg.Describe());
    return {fd, true, {}};
  }
  return cfg.is_unix() ? ListenUnix(cfg) : ListenTcp(cfg);
}

void RemoveListener(const config::ListenConfig& cfg, const ListenResult& l) {
  if (!l.inherited && cfg.is_unix()) unlink(cfg.path.c_str());
}

}  // namespace spindle::server
