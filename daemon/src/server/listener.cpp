// listener.cpp: see listener.hpp.
#include "server/listener.hpp"

#include <spdlog/spdlog.h>
#include <systemd/sd-daemon.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <grp.h>
#include <netdb.h>
#include <pwd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>

namespace spindle::server {
namespace {

std::string Errno(const std::string& what) {
  return what + ": " + std::strerror(errno);
}

bool ResolveUser(const std::string& name, uid_t* uid) {
  unsigned v = 0;
  auto [end, ec] = std::from_chars(name.data(), name.data() + name.size(), v);
  if (ec == std::errc() && end == name.data() + name.size()) {
    *uid = v;
    return true;
  }
  passwd* pw = getpwnam(name.c_str());
  if (!pw) return false;
  *uid = pw->pw_uid;
  return true;
}

bool ResolveGroup(const std::string& name, gid_t* gid) {
  unsigned v = 0;
  auto [end, ec] = std::from_chars(name.data(), name.data() + name.size(), v);
  if (ec == std::errc() && end == name.data() + name.size()) {
    *gid = v;
    return true;
  }
  group* gr = getgrnam(name.c_str());
  if (!gr) return false;
  *gid = gr->gr_gid;
  return true;
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
  if (r.error.empty() && (!cfg.owner.empty() || !cfg.group.empty())) {
    uid_t uid = static_cast<uid_t>(-1);
    gid_t gid = static_cast<gid_t>(-1);
    if (!cfg.owner.empty() && !ResolveUser(cfg.owner, &uid)) {
      r.error = "unknown user '" + cfg.owner + "' for listen.owner";
    } else if (!cfg.group.empty() && !ResolveGroup(cfg.group, &gid)) {
      r.error = "unknown group '" + cfg.group + "' for listen.group";
    } else if (chown(cfg.path.c_str(), uid, gid) != 0) {
      r.error = Errno("chown('" + cfg.path + "')");
    }
  }
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
  int n = sd_listen_fds(1);
  if (n >= 1) {
    ListenResult r;
    r.fd = SD_LISTEN_FDS_START;
    r.inherited = true;
    int flags = fcntl(r.fd, F_GETFL);
    fcntl(r.fd, F_SETFL, flags | O_NONBLOCK);
    fcntl(r.fd, F_SETFD, FD_CLOEXEC);
    if (n > 1) spdlog::warn("listener: '{}' sockets passed by systemd, using the first", n);
    return r;
  }
  return cfg.is_unix() ? ListenUnix(cfg) : ListenTcp(cfg);
}

void RemoveListener(const config::ListenConfig& cfg, const ListenResult& l) {
  if (!l.inherited && cfg.is_unix()) unlink(cfg.path.c_str());
}

}  // namespace spindle::server
