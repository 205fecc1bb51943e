// inherited_sockets.cpp: see inherited_sockets.hpp.
#include "server/inherited_sockets.hpp"

#include <spdlog/spdlog.h>
#include <systemd/sd-daemon.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <cstring>
#include <vector>

namespace spindle::server {
namespace {

struct Inherited {
  int fd = -1;
  sockaddr_storage addr{};
  socklen_t len = 0;
  bool taken = false;
};

std::vector<Inherited>& Sockets() {
  static std::vector<Inherited> sockets = [] {
    std::vector<Inherited> v;
    int n = sd_listen_fds(1);
    for (int i = 0; i < n; ++i) {
      Inherited s;
      s.fd = SD_LISTEN_FDS_START + i;
      s.len = sizeof s.addr;
      if (getsockname(s.fd, reinterpret_cast<sockaddr*>(&s.addr), &s.len) != 0) s.len = 0;
      v.push_back(s);
    }
    return v;
  }();
  return sockets;
}

uint16_t PortOf(const sockaddr_storage& a) {
  if (a.ss_family == AF_INET) return ntohs(reinterpret_cast<const sockaddr_in&>(a).sin_port);
  if (a.ss_family == AF_INET6) return ntohs(reinterpret_cast<const sockaddr_in6&>(a).sin6_port);
  return 0;
}

std::string Describe(const Inherited& s) {
  if (s.addr.ss_family == AF_UNIX) {
    const auto& un = reinterpret_cast<const sockaddr_un&>(s.addr);
    return "unix:" + std::string(un.sun_path, strnlen(un.sun_path, sizeof un.sun_path));
  }
  char host[INET6_ADDRSTRLEN] = "?";
  if (s.addr.ss_family == AF_INET) {
    inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in&>(s.addr).sin_addr, host, sizeof host);
  } else if (s.addr.ss_family == AF_INET6) {
    inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6&>(s.addr).sin6_addr, host,
              sizeof host);
  }
  return std::string(host) + ":" + std::to_string(PortOf(s.addr));
}

// A config host that is a numeric address must equal the bound one unless
// either side is a wildcard; a host name ("localhost") matches by port.
bool SameHost(const std::string& host, const sockaddr_storage& a) {
  in_addr v4{};
  in6_addr v6{};
  if (a.ss_family == AF_INET && inet_pton(AF_INET, host.c_str(), &v4) == 1) {
    in_addr bound = reinterpret_cast<const sockaddr_in&>(a).sin_addr;
    return v4.s_addr == INADDR_ANY || bound.s_addr == INADDR_ANY || v4.s_addr == bound.s_addr;
  }
  if (a.ss_family == AF_INET6 && inet_pton(AF_INET6, host.c_str(), &v6) == 1) {
    const in6_addr& bound = reinterpret_cast<const sockaddr_in6&>(a).sin6_addr;
    return IN6_IS_ADDR_UNSPECIFIED(&v6) || IN6_IS_ADDR_UNSPECIFIED(&bound) ||
           std::memcmp(&v6, &bound, sizeof v6) == 0;
  }
  return inet_pton(AF_INET, host.c_str(), &v4) != 1 && inet_pton(AF_INET6, host.c_str(), &v6) != 1;
}

bool Matches(const Inherited& s, const config::ListenConfig& cfg) {
  if (s.len == 0) return false;
  if (cfg.is_unix()) {
    if (s.addr.ss_family != AF_UNIX) return false;
    const auto& un = reinterpret_cast<const sockaddr_un&>(s.addr);
    return cfg.path == std::string(un.sun_path, strnlen(un.sun_path, sizeof un.sun_path));
  }
  if (s.addr.ss_family != AF_INET && s.addr.ss_family != AF_INET6) return false;
  return PortOf(s.addr) == cfg.port && SameHost(cfg.host, s.addr);
}

int Take(Inherited& s) {
  s.taken = true;
  int flags = fcntl(s.fd, F_GETFL);
  fcntl(s.fd, F_SETFL, flags | O_NONBLOCK);
  fcntl(s.fd, F_SETFD, FD_CLOEXEC);
  return s.fd;
}

}  // namespace

int TakeInheritedSocket(const config::ListenConfig& cfg) {
  for (Inherited& s : Sockets()) {
    if (!s.taken && Matches(s, cfg)) return Take(s);
  }
  return -1;
}

int TakeAnyInheritedSocket(const config::ListenConfig* except, std::string* address) {
  for (Inherited& s : Sockets()) {
    if (s.taken || (except && Matches(s, *except))) continue;
    *address = Describe(s);
    return Take(s);
  }
  return -1;
}

bool HaveInheritedSockets() { return !Sockets().empty(); }

}  // namespace spindle::server
