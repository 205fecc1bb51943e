// socket_owner.hpp: sets the owner and group of a unix socket file that the
// master bound itself (listen: and admin: `owner`/`group`). Sockets that come
// from systemd already have theirs (SocketUser=/SocketGroup=), so this is
// only called for sockets spindled binds when started by hand.
// Master only, before the first fork.
#pragma once

#include <string>

namespace spindle::server {

// chown()s `path` to `owner`/`group` (names or numeric ids; either may be
// empty, meaning unchanged). Returns "" on success, otherwise an error that
// names `what` (the config section) and the errno text.
std::string ChownSocketFile(const std::string& path, const std::string& owner,
                            const std::string& group, const std::string& what);

}  // namespace spindle::server
