// redis_keys.cpp: the rows of redis::Config's key table (redis_keys.hpp).
#include "config/redis_keys.hpp"

#include <climits>
#include <stdexcept>

namespace spindle::redis::impl {
namespace {

using config::Key;
using config::Kind;
using config::Value;
using std::string;

string SetAddress(Config& c, const Value& v) {
  try {
    (void)Endpoint::Parse(v.text);
  } catch (const std::invalid_argument& e) {
    string why = e.what();
    const string prefix = "redis.address: ";
    return why.rfind(prefix, 0) == 0 ? why.substr(prefix.size()) : why;
  }
  c.address = v.text;
  return "";
}

const Key<Config> kKeys[] = {
    {"address", Kind::kText, "127.0.0.1:6379", "unix:/path, /path, host:port, [v6]:port or host",
     SetAddress},
    {"database", Kind::kCount, "0", "SELECT after connecting (0: none)",
     [](Config& c, const Value& v) { c.database = static_cast<int>(v.count); return string(); },
     0, INT_MAX},
    {"username", Kind::kString, "", "ACL user for AUTH",
     [](Config& c, const Value& v) { c.username = v.text; return string(); }},
    {"password", Kind::kString, "", "AUTH password",
     [](Config& c, const Value& v) { c.password = v.text; return string(); }},
    {"pool_size", Kind::kCount, "2", "command connections per worker",
     [](Config& c, const Value& v) { c.pool_size = v.count; return string(); }, 1, 64},
    {"max_in_flight", Kind::kCount, "8192", "pipelined commands per connection",
     [](Config& c, const Value& v) { c.max_in_flight = v.count; return string(); }, 1,
     1u << 30},
    {"connect_timeout", Kind::kDuration, "1000ms", "connect + AUTH/SELECT",
     [](Config& c, const Value& v) { c.connect_timeout = v.duration; return string(); }, 1,
     UINT64_MAX},
    {"command_timeout", Kind::kDuration, "2000ms", "default per call",
     [](Config& c, const Value& v) { c.command_timeout = v.duration; return string(); }, 1,
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
    {"subscription_capacity", Kind::kCount, "1024", "messages a subscription buffers",
     [](Config& c, const Value& v) { c.subscription_capacity = v.count; return string(); }, 1,
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
  if (!c.username.empty() && c.password.empty()) {
    return CrossKeyProblem{"username", "needs a password"};
  }
  return std::nullopt;
}

}  // namespace spindle::redis::impl
