// pg::Config validation, ServerName and FromJson (through the key table,
// config/postgres_keys.hpp). Plain values; no thread or fiber contract.
#include <spindle/pg_config.hpp>

#include <stdexcept>

#include <nlohmann/json.hpp>

#include "config/postgres_keys.hpp"
#include "pg/conninfo.hpp"

namespace spindle::pg {

void Config::Validate() const {
  auto bad = [](const std::string& what) { throw std::invalid_argument("postgres." + what); };
  if (std::string why = impl::CheckConninfo(conninfo); !why.empty()) bad("conninfo: " + why);
  if (port < 0 || port > 65535) bad("port: must be 0..65535");
  if (pool_size < 1 || pool_size > 64) bad("pool_size: must be 1..64");
  if (max_in_flight < 1) bad("max_in_flight: must be >= 1");
  if (connect_timeout.count() <= 0) bad("connect_timeout: must be > 0");
  if (query_timeout.count() <= 0) bad("query_timeout: must be > 0");
  if (pool_wait_timeout.count() < 0) bad("pool_wait_timeout: must be >= 0");
  if (reconnect_min.count() <= 0) bad("reconnect_min: must be > 0");
  if (!(reconnect_jitter >= 0 && reconnect_jitter <= 1)) bad("reconnect_jitter: must be 0..1");
  if (notification_capacity < 1) bad("notification_capacity: must be >= 1");
  if (auto p = impl::CheckCrossKeys(*this)) bad(p->key + ": " + p->message);
}

std::string Config::ServerName() const { return impl::ServerName(impl::Build(*this)); }

Config Config::FromJson(const nlohmann::json& json, const std::string& path) {
  Config c;
  config::ApplyJson(json, path, impl::ConfigKeys(), c);
  if (auto p = impl::CheckCrossKeys(c)) {
    throw config::ConfigError({"", {}, path + "." + p->key, p->message});
  }
  return c;
}

}  // namespace spindle::pg
