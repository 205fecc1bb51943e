// Stats: counters and a latency histogram of one Redis client, as read by
// Client::stats() (for the metrics exporter and tests).
//
// No thread or fiber contract: plain values (a snapshot copy).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

namespace spindle::redis {

// Command latency (send to reply, as the calling fiber sees it), in
// Prometheus-style cumulative-ready buckets: counts[i] holds the samples in
// (bound[i-1], bound[i]]; the last slot is +Inf.
struct LatencyHistogram {
  static constexpr std::array<uint32_t, 14> kBoundsUs = {
      50, 100, 250, 500, 1000, 2500, 5000, 10000, 25000, 50000,
      100000, 250000, 500000, 1000000};
  std::array<uint64_t, kBoundsUs.size() + 1> counts{};
  uint64_t count = 0;
  uint64_t sum_us = 0;

  void Record(uint64_t us) noexcept;
  // Upper bucket bound (us) under which a fraction q of samples fall; 0 when
  // empty; UINT64_MAX when it is in the +Inf bucket.
  uint64_t QuantileUpperBoundUs(double q) const noexcept;
};

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
