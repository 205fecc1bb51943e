// server.hpp: what an app may ask the server about its worker (public app
// API). Counters are per worker process and only touched by the worker's one
// thread, so reading them from a handler needs no locking.
#pragma once

#include <cstdint>
#include <string_view>

namespace spindle {

// The spindled release, e.g. "0.1.0".
std::string_view version();

struct WorkerStats {
  uint64_t connections_accepted = 0;
  uint64_t connections_open = 0;
  uint64_t requests = 0;          // request heads decoded
  uint64_t inflight = 0;          // handlers running now
  uint64_t queued = 0;            // requests waiting for admission now
  uint64_t rejected = 0;          // 503s after queue_timeout
  uint64_t cancelled = 0;         // handlers cancelled (abort, disconnect)
  uint64_t handler_errors = 0;    // exceptions escaping handlers as a 500
  uint64_t protocol_errors = 0;   // malformed frames
};

// This worker's counters (zeros outside a worker).
const WorkerStats& worker_stats();

}  // namespace spindle
