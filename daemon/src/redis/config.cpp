// Config validation, FromJson (through the key table, config/redis_keys.hpp) and
// Endpoint parsing (see redis_config.hpp).
// Plain values; no thread or fiber contract.
#include <spindle/redis_config.hpp>

#include <charconv>
#include <stdexcept>

#include <nlohmann/json.hpp>

#include "config/redis_keys.hpp"

namespace spindle::redis {

void Config::Validate() const {
  auto bad = [](const std::string& what) { throw std::invalid_argument("redis." + what); };
  (void)Endpoint::Parse(address);
  if (database < 0) bad("database: must be >= 0");
  if (pool_size < 1 || pool_size > 64) bad("pool_size: must be 1..64");
  if (max_in_flight < 1) bad("max_in_flight: must be >= 1");
  if (connect_timeout.count() <= 0) bad("connect_timeout: must be > 0");
  if (command_timeout.count() <= 0) bad("command_timeout: must be > 0");
  if (pool_wait_timeout.count() < 0) bad("pool_wait_timeout: must be >= 0");
  if (reconnect_min.count() <= 0) bad("reconnect_min: must be > 0");
  // "not in 0..1" rather than "< 0 || > 1", which NaN passes.
  if (!(reconnect_jitter >= 0 && reconnect_jitter <= 1)) bad("reconnect_jitter: must be 0..1");
  if (subscription_capacity < 1) bad("subscription_capacity: must be >= 1");
  if (auto p = impl::CheckCrossKeys(*this)) bad(p->key + ": " + p->message);
}

Config Config::FromJson(const nlohmann::json& json, const std::string& path) {
  Config c;
  config::ApplyJson(json, path, impl::ConfigKeys(), c);
  if (auto p = impl::CheckCrossKeys(c)) {
    throw config::ConfigError({"", {}, path + "." + p->key, p->message});
  }
  return c;
}

Endpoint Endpoint::Parse(const std::string& address) {
  Endpoint e;
  auto bad = [&](const char* why) {
    throw std::invalid_argument("redis.address: '" + address + "': " + why);
  };
  if (address.empty()) bad("empty");
  if (address.rfind("unix:", 0) == 0 || address[0] == '/') {
    e.is_unix = true;
    e.path = address[0] == '/' ? address : address.substr(5);
    if (e.path.empty()) bad("no socket path");
    if (e.path.size() >= 108) bad("socket path too long");
    return e;
  }
  std::string host = address;
  std::string port;
  bool has_colon = false;  // then a port must follow it
  if (address[0] == '[') {
    auto close = address.find(']');
    if (close == std::string::npos) bad("unterminated '['");
    host = address.substr(1, close - 1);
    if (close + 1 < address.size()) {
      if (address[close + 1] != ':') bad("expected ':' after ']'");
      has_colon = true;
      port = address.substr(close + 2);
    }
  } else if (auto colon = address.rfind(':'); colon != std::string::npos) {
    if (address.find(':') != colon) bad("IPv6 addresses need [brackets]");
    host = address.substr(0, colon);
    port = address.substr(colon + 1);
    has_colon = true;
  }
  if (host.empty()) bad("no host");
  if (has_colon && port.empty()) bad("no port after ':'");
  e.host = host;
  e.port = 6379;
  if (!port.empty()) {
    int p = 0;
    auto r = std::from_chars(port.data(), port.data() + port.size(), p);
    if (r.ec != std::errc() || r.ptr != port.data() + port.size() || p < 1 || p > 65535) {
      bad("bad port");
    }
    e.port = p;
  }
  return e;
}

}  // namespace spindle::redis
