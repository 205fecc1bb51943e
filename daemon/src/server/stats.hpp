// stats.hpp: the writable side of the per-worker counters published through
// spindle::worker_stats(). Worker thread only.
#pragma once

#include <spindle/server.hpp>

namespace spindle::server {

WorkerStats& MutableStats();

}  // namespace spindle::server
