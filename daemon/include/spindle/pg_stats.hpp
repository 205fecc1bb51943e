// Stats: counters and a latency histogram of one PostgreSQL client, as read
// by Client::stats() (for the metrics exporter and tests).
//
// No thread or fiber contract: plain values (a snapshot copy).
#pragma once

#include <cstddef>
#include <cstdint>

#include <spindle/latency_histogram.hpp>

namespace spindle::pg {

struct Stats {
  // Counters since the client was created.
  uint64_t queries = 0;           // statements sent (BEGIN/COMMIT included)
  uint64_t errors = 0;            // calls that threw (Unavailable, Timeout, QueryError)
  uint64_t query_errors = 0;      // error answers from the server
  uint64_t timeouts = 0;          // calls whose deadline passed
  uint64_t cancels = 0;           // cancel requests sent to the server
  uint64_t prepares = 0;          // statements prepared on a connection
  uint64_t batches = 0;           // Syncs that ended a batch of statements
  uint64_t retried = 0;           // statements run again alone after their batch failed
  uint64_t transactions = 0;      // transactions begun
  uint64_t rollbacks = 0;         // ... rolled back (explicitly or on scope end)
  uint64_t connects = 0;          // connections established (listener included)
  uint64_t reconnects = 0;        // ... of them, after a lost or failed one
  uint64_t connect_failures = 0;  // attempts that failed (refused, auth, timeout)
  uint64_t connections_lost = 0;  // ready connections that broke
  uint64_t discarded = 0;         // connections dropped on purpose (unknown state)
  uint64_t pool_waits = 0;        // calls that waited for a usable connection
  uint64_t pool_wait_timeouts = 0;
  uint64_t notifications = 0;     // NOTIFY messages delivered to subscriptions
  uint64_t notifications_dropped = 0;
  // Gauges, at the time of the snapshot.
  size_t connections_open = 0;    // PGconn alive (listener included)
  size_t connections_ready = 0;   // pool connections usable now
  size_t pinned = 0;              // ... of them, held by a transaction
  size_t in_flight = 0;           // statements sent and not yet answered
  size_t max_pipeline_depth = 0;  // most statements one connection ever had in flight
  size_t subscriptions = 0;       // live Subscription objects
  size_t background_fibers = 0;   // the client's own fibers alive
  LatencyHistogram latency;       // per call, as the calling fiber sees it
};

}  // namespace spindle::pg
