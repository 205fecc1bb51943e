// master.hpp: the spindled master process: binds the listening socket,
// forks the workers, respawns a worker that dies (logging its exit status or
// signal), and on SIGTERM/SIGINT/SIGQUIT stops accepting and lets the workers
// drain before it exits. Single-threaded, no fibers: a signalfd loop.
#pragma once

#include "config/config.hpp"

namespace spindle::server {

// Returns the process exit code.
int RunMaster(const config::Config& cfg);

}  // namespace spindle::server
