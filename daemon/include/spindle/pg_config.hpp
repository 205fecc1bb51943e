// Config: how the PostgreSQL client connects, times out and reconnects. A
// plain struct with defaults, plus FromJson(). Apps normally take theirs from
// AppContext::postgres_config() (spindled.yaml's `postgres:` section with the
// app's own `config.postgres` keys over it).
//
// No thread or fiber contract: a plain value.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>

#include <nlohmann/json_fwd.hpp>

namespace spindle::pg {

struct Config {
  // A libpq connection string ("host=/run/postgresql dbname=app") or URI
  // ("postgresql://app@db.internal/app"); empty: libpq's defaults (PGHOST,
  // PGDATABASE, ... and the local socket). The keys below, when set, override
  // its parts. A host name (not an IP literal or a socket directory) is
  // resolved on the offload pool, never on the worker thread.
  std::string conninfo;
  std::string host;      // socket directory (starts with '/') or host name / IP
  int port = 0;          // 0: from conninfo, or libpq's default (5432)
  std::string dbname;
  std::string user;
  std::string password;
  size_t pool_size = 2;  // pipelined connections per worker (scheduler)
  // Queries one connection may carry in its pipeline before callers wait
  // for room (a pool wait).
  size_t max_in_flight = 1024;
  std::chrono::milliseconds connect_timeout{2000};   // connect + authenticate
  std::chrono::milliseconds query_timeout{5000};     // default per call
  // Bounded wait for a usable connection (all connecting, full or pinned
  // by transactions); after it the call fails with Unavailable.
  std::chrono::milliseconds pool_wait_timeout{500};
  // Reconnect back-off: min * 2^attempt, capped at max, with jitter.
  std::chrono::milliseconds reconnect_min{50};
  std::chrono::milliseconds reconnect_max{2000};
  double reconnect_jitter = 0.5;
  // Notifications a LISTEN subscription buffers before it drops new ones.
  size_t notification_capacity = 1024;

  // Throws std::invalid_argument naming the bad field (a conninfo libpq
  // cannot parse included).
  void Validate() const;
  bool operator==(const Config&) const = default;

  // The server as messages name it: "host:port/dbname" (socket directory or
  // host; never the password). Throws std::invalid_argument on a bad conninfo.
  std::string ServerName() const;

  // Keys as above, read by the same key table as spindled.yaml's `postgres:`
  // section (durations as <spindle/units.hpp>: "250ms", "2s"; a bare number
  // is seconds); missing keys keep their defaults; unknown keys and bad
  // values throw std::invalid_argument naming the key path
  // ("key 'postgres.pool_size': ...").
  static Config FromJson(const nlohmann::json& json, const std::string& path = "postgres");
};

}  // namespace spindle::pg
