// socket_owner.cpp: see socket_owner.hpp.
#include "server/socket_owner.hpp"

#include <grp.h>
#include <pwd.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>

namespace spindle::server {
namespace {

bool ParseId(const std::string& s, unsigned* v) {
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), *v);
  return ec == std::errc() && end == s.data() + s.size();
}

bool ResolveUser(const std::string& name, uid_t* uid) {
  unsigned v = 0;
  if (ParseId(name, &v)) {
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
  if (ParseId(name, &v)) {
    *gid = v;
    return true;
  }
  group* gr = getgrnam(name.c_str());
  if (!gr) return false;
  *gid = gr->gr_gid;
  return true;
}

}  // namespace

std::string ChownSocketFile(const std::string& path, const std::string& owner,
                            const std::string& group, const std::string& what) {
  if (owner.empty() && group.empty()) return {};
  uid_t uid = static_cast<uid_t>(-1);
  gid_t gid = static_cast<gid_t>(-1);
  if (!owner.empty() && !ResolveUser(owner, &uid)) {
    return "unknown user '" + owner + "' for " + what + ".owner";
  }
  if (!group.empty() && !ResolveGroup(group, &gid)) {
    return "unknown group '" + group + "' for " + what + ".group";
  }
  if (chown(path.c_str(), uid, gid) != 0) {
    int e = errno;
    std::string hint;
    if (e == EPERM) {
      hint = " (run as root, or let systemd create the socket: spindled.socket's "
             "SocketUser=/SocketGroup=)";
    }
    return "chown('" + path + "') for " + what + ": " + std::strerror(e) + hint;
  }
  return {};
}

}  // namespace spindle::server
