// listener.hpp: the master's listening socket: a unix socket (path, file
// mode, owner and group from the config) or a TCP host:port, or one inherited
// from systemd socket activation. Called by the master before it forks the
// workers; the fd is nonblocking and inherited by every worker.
#pragma once

#include "config/config.hpp"

#include <string>

namespace spindle::server {

struct ListenResult {
  int fd = -1;
  bool inherited = false;  // from systemd (LISTEN_FDS): never unlink its path
  std::string error;
};

ListenResult OpenListener(const config::ListenConfig& cfg);
// Removes the unix socket file of a listener we bound ourselves.
void RemoveListener(const config::ListenConfig& cfg, const ListenResult& l);

}  // namespace spindle::server
