// worker.hpp: one worker process: a Scheduler on the process's one serving
// thread, the apps' routes, an accept fiber and a fiber per connection.
//
// Called in the child right after fork(); returns the process exit code.
// SIGTERM/SIGINT/SIGQUIT (read from a signalfd by a fiber) start a graceful
// stop: stop accepting, close idle connections, let in-flight requests finish
// up to drain_timeout, then cancel what is left.
#pragma once

#include "config/config.hpp"
#include "server/accept_balance.hpp"
#include "server/app_loader.hpp"

#include <vector>

namespace spindle::server {

// Exit code of a worker whose apps failed to initialise: the master does not
// respawn it (the same failure would repeat) and stops the daemon.
inline constexpr int kExitInitFailed = 3;

// `balance`: the generation's shared connection counts (may be null), in
// which this worker holds slot `index`.
int RunWorker(const config::Config& cfg, int listen_fd, std::vector<LoadedApp>& apps,
              unsigned index, AcceptBalance* balance);

}  // namespace spindle::server
