// postgres_keys.cpp: the rows of pg::Config's key table (postgres_keys.hpp).
#include "config/postgres_keys.hpp"

#include <climits>
#include <cstdint>

#include "pg/conninfo.hpp"

namespace spindle::pg::impl {
namespace {

using config::Key;
using config::Kind;
using config::Value;
using std::string;

const Key<Config> kKeys[] = {
    {"conninfo", Kind::kString, "", "libpq connection string or URI (empty: libpq defaults)",
     [](Config& c, const Value& v) {
       if (string why = CheckConninfo(v.text); !why.empty()) return why;
       c.conninfo = v.text;
       return string();
     }},
    {"host", Kind::kString, "", "socket directory or host (over conninfo)",
     [](Config& c, const Value& v) { c.host = v.text; return string(); }},
    {"port", Kind::kCount, "0", "server port (0: conninfo's or 5432)",
     [](Config& c, const Value& v) { c.port = static_cast<int>(v.count); return string(); }, 0,
     65535},
    {"dbname", Kind::kString, "", "database (over conninfo)",
     [](Config& c, const Value& v) { c.dbname = v.text; return string(); }},
    {"user", Kind::kString, "", "role (over conninfo)",
     [](Config& c, const Value& v) { c.user = v.text; return string(); }},
    {"password", Kind::kString, "", "password (over conninfo)",
     [](Config& c, const Value& v) { c.password = v.text; return string(); }},
    {"pool_size", Kind::kCount, "2", "pipelined connections per worker",
     [](Config& c, const Value& v) { c.pool_size = v.count; return string(); }, 1, 64},
    {"max_in_flight", Kind::kCount, "1024", "pipelined statements per connection",
     [](Config& c, const Value& v) { c.max_in_flight = v.count; return string(); }, 1,
     1u << 20},
    {"connect_timeout", Kind::kDuration, "2000ms", "connect + authenticate",
     [](Config& c, const Value& v) { c.connect_timeout = v.duration; return string(); }, 1,
     UINT64_MAX},
    {"query_timeout", Kind::kDuration, "5000ms", "default per call",
     [](Config& c, const Value& v) { c.query_timeout = v.duration; return string(); }, 1,
     UINT64_MAX},
    {"pool_wait_timeout", Kind::kDuration, "500ms", "wait for a usable connection",
     [](Config& c, const Value& v) { c.pool_wait_timeout = v.duration; return string(); }},
    {"reconnect_min", Kind::kDuration, "50ms", "reconnect back-off, first delay",
     [](Config& c, const Value& v) { c.reconnect_min = v.duration; return string(); }, 1,
     UINT64_MAX},
    {"reconnect_max", Kind::kDuration, "2000ms", "reconnect back-off, longest delay",
     [](Config& c, const Value& v) { c.reconnect_max = v.duration; return string(); }, 1,
     UINT64_MAX},
    {"reconnect_jitter", Kind::kFraction, "0.5", "random part taken off each delay",
     [](Config& c, const Value& v) { c.reconnect_jitter = v.fraction; return string(); }},
    {"notification_capacity", Kind::kCount, "1024", "notifications a subscription buffers",
     [](Config& c, const Value& v) { c.notification_capacity = v.count; return string(); }, 1,
     1u << 30},
};

}  // namespace

const config::Section<Config>& ConfigKeys() {
  static const config::Section<Config> s{kKeys};
  return s;
}

std::optional<CrossKeyProblem> CheckCrossKeys(const Config& c) {
  if (c.reconnect_max < c.reconnect_min) {
    return CrossKeyProblem{"reconnect_max", "must be >= reconnect_min"};
  }
  return std::nullopt;
}

}  // namespace spindle::pg::impl
