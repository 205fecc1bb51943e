// Shared: what every part of one Redis client (pool, subscriber,
// connections, calls) reads and counts: the config, the parsed endpoint, the
// counters, and the closing flag.
//
// Fiber contract: belongs to the client's scheduler; touched only by its
// fibers (no locks: fibers of one scheduler never run in parallel).
#pragma once

#include <cstddef>
#include <string>

#include <spindle/redis_config.hpp>
#include <spindle/redis_stats.hpp>

namespace spindle::redis::impl {

struct Shared {
  explicit Shared(Config c)
      : config(std::move(c)), endpoint(Endpoint::Parse(config.address)), address(config.address) {}

  const Config config;
  const Endpoint endpoint;
  const std::string address;  // for messages: as configured
  Stats stats;                // counters only; gauges are filled by stats()
  bool closing = false;
  size_t background_fibers = 0;
  size_t connections_open = 0;
};

}  // namespace spindle::redis::impl
