// inherited_sockets.hpp: the listening sockets systemd passes to spindled
// (socket activation: LISTEN_FDS, fds 3...). spindled.socket carries both
// the request socket and the admin socket; each is matched to the config's
// `listen:` or `admin:` by the address it is bound to, so their order in the
// unit does not matter and the daemon never has to bind or chown them.
//
// Process contract: master only, single thread, before the first fork. The
// environment is read once (and unset, so workers do not see it).
#pragma once

#include "config/config.hpp"

#include <string>

namespace spindle::server {

// Takes the inherited socket bound to `cfg`'s address (the same unix path,
// or the same TCP port on the same or a wildcard address). Returns the fd
// (nonblocking, close-on-exec) or -1 when systemd passed none that matches.
// A socket is handed out once.
int TakeInheritedSocket(const config::ListenConfig& cfg);

// Takes the first inherited socket not handed out yet and not bound to
// `except`'s address (if given), for a unit whose socket path differs from
// the config's. *address describes the socket. Returns -1 if none is left.
int TakeAnyInheritedSocket(const config::ListenConfig* except, std::string* address);

// True if systemd passed any socket at all.
bool HaveInheritedSockets();

}  // namespace spindle::server
