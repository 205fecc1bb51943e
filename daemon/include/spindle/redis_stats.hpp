// Stats: counters and a latency histogram of one Redis client, as read by
// Client::stats() (for the metrics exporter and tests).
//
// No thread or fiber contract: plain values (a snapshot copy).
#pragma once

#include <cstddef>
#include <cstdint>

#include <spindle/latency_histogram.hpp>

namespace spindle::redis {

// Command latency (send to reply, as the calling fiber sees it).
using LatencyHistogram = spindle::LatencyHistogram;

struct Stats {
  // Counters since the client was created.
  uint64_t commands = 0;          // commands sent (each one of a pipeline)
  uint64_t calls = 0;             // calls made (a pipeline is one call)
  uint64_t errors = 0;            // calls that threw (Unavailable, Timeout, ReplyError)
  uint64_t error_replies = 0;     // error replies received
  uint64_t timeouts = 0;          // calls that timed out
  uint64_t discarded = 0;         // connections dropped after a timeout
  uint64_t connects = 0;          // connections established (incl. subscriber)
  uint64_t reconnects = 0;        // ... of them, after a lost or failed one
  uint64_t connect_failures = 0;  // attempts that failed (refused, auth, timeout)
  uint64_t connections_lost = 0;  // ready connections that broke
  uint64_t pool_waits = 0;        // calls that waited for a usable connection
  uint64_t pool_wait_timeouts = 0;
  uint64_t pubsub_messages = 0;   // messages delivered to subscriptions
  uint64_t pubsub_dropped = 0;    // dropped because a subscription was full
  // Gauges, at the time of the snapshot.
  size_t connections_open = 0;    // hiredis contexts alive (incl. subscriber)
  size_t connections_ready = 0;   // command connections usable now
  size_t in_flight = 0;           // commands sent and not yet answered
  size_t subscriptions = 0;       // live Subscription objects
  size_t background_fibers = 0;   // the client's own fibers alive
  LatencyHistogram latency;
};

}  // namespace spindle::redis
