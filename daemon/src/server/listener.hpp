// listener.hpp: the master's listening socket: a unix socket (path, file
// mode, owner and group from the config) or a TCP host:port, or one inherited
// from systemd socket activation (inherited_sockets.hpp). Called by the
// master before it forks the workers; the fd is nonblocking and inherited by
// every worker.
#pragma once

#include "config/config.hpp"

#include <string>

namespace spindle::server {

struct ListenResult {
  int fd = -1;
  bool inherited = false;  // from systemd (LISTEN_FDS): never unlink its path
  std::string error;
};

// The socket systemd passed for this address, or a newly bound one.
ListenResult OpenListener(const config::ListenConfig& cfg);
// At start: as OpenListener, but if systemd passed sockets and none has
// cfg's address, serves the first one not bound to `admin`'s address (the
// unit's socket path wins over a stale config, with a warning).
ListenResult OpenStartListener(const config::ListenConfig& cfg,
                               const config::ListenConfig* admin);
// Removes the unix socket file of a listener we bound ourselves.
void RemoveListener(const config::ListenConfig& cfg, const ListenResult& l);

}  // namespace spindle::server
