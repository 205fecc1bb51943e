// Shared: what every part of one PostgreSQL client (pool, listener,
// connections, calls) reads and counts: the config, the libpq connection
// parameters, the server's name for messages, the registered prepared
// statements, the counters and the closing flag.
//
// Fiber contract: belongs to the client's scheduler; touched only by its
// fibers (no locks: fibers of one scheduler never run in parallel). Built on
// any thread (a Client may be created in an app's init).
#pragma once

#include <cstddef>
#include <map>
#include <memory>
#include <string>

#include <spindle/pg_config.hpp>
#include <spindle/pg_stats.hpp>

#include "pg/conninfo.hpp"

namespace spindle::pg::impl {

struct Shared {
  explicit Shared(Config c)
      : config(std::move(c)), params(Build(config)),
        server(std::make_shared<const std::string>(ServerName(params))) {}

  const Config config;
  const ConnParams params;
  const std::shared_ptr<const std::string> server;  // "host:port/db", for messages
  std::map<std::string, std::string, std::less<>> statements;  // prepare(): name -> SQL
  Stats stats;  // counters only; gauges are filled by stats()
  bool closing = false;
  size_t background_fibers = 0;
  size_t connections_open = 0;

  const std::string& name() const noexcept { return *server; }
};

}  // namespace spindle::pg::impl
