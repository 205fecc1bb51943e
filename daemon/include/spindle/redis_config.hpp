// Config: how the Redis client connects, times out and reconnects. A plain
// struct with defaults, plus FromJson(). Apps normally take theirs from
// AppContext::redis_config() (spindled.yaml's `redis:` section with the
// app's own `config.redis` keys over it).
//
// No thread or fiber contract: a plain value.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>

#include <nlohmann/json_fwd.hpp>

namespace spindle::redis {

struct Config {
  // "unix:/path/redis.sock", "/path/redis.sock", "host:port", "[v6]:port",
  // or "host" (port 6379). Host names are resolved by hiredis at connect.
  std::string address = "127.0.0.1:6379";
  int database = 0;           // SELECT after connecting (0: none sent)
  std::string username;       // ACL user for AUTH (empty: AUTH <password>)
  std::string password;       // empty: no AUTH
  size_t pool_size = 2;       // command connections per worker (scheduler)
  // Pipelined commands one connection may carry before callers wait for
  // room (a pool wait).
  size_t max_in_flight = 8192;
  std::chrono::milliseconds connect_timeout{1000};   // connect + AUTH/SELECT
  std::chrono::milliseconds command_timeout{2000};   // default per call
  // Bounded wait for a usable connection while one is connecting or all are
  // full; after it the call fails with Unavailable.
  std::chrono::milliseconds pool_wait_timeout{500};
  // Reconnect back-off: min * 2^attempt, capped at max, with jitter (a random
  // part of up to `jitter` of the delay is taken off).
  std::chrono::milliseconds reconnect_min{50};
  std::chrono::milliseconds reconnect_max{2000};
  double reconnect_jitter = 0.5;
  // Messages a subscription buffers before it drops new ones.
  size_t subscription_capacity = 1024;

  // Throws std::invalid_argument naming the bad field.
  void Validate() const;
  bool operator==(const Config&) const = default;

  // Keys as above, read by the same key table as spindled.yaml's `redis:`
  // section (durations and sizes as <spindle/units.hpp>: "250ms", "2s"; a
  // bare number is seconds); missing keys keep their defaults; unknown keys
  // and bad values throw std::invalid_argument naming the key path
  // ("key 'redis.pool_size': ...").
  static Config FromJson(const nlohmann::json& json, const std::string& path = "redis");
};

// The parsed form of Config::address.
struct Endpoint {
  bool is_unix = false;
  std::string path;   // unix
  std::string host;   // tcp
  int port = 0;       // tcp
  // Throws std::invalid_argument on a malformed address.
  static Endpoint Parse(const std::string& address);
};

}  // namespace spindle::redis
