// The one table of Config keys, shared by the JSON and YAML front ends: a
// key and a loosely typed value in, the Config field set or a clear
// std::invalid_argument ("redis.pool_size: expected an integer") out.
// Plain values; no thread or fiber contract.
#pragma once

#include <optional>
#include <string>

#include <nlohmann/json_fwd.hpp>
#include <spindle/redis_config.hpp>

namespace spindle::redis::impl {

// A scalar from either front end: the text, and a number/bool if it is one.
struct KeyValue {
  std::string text;
  std::optional<long long> integer;
  std::optional<double> number;
  std::optional<bool> boolean;
  bool is_string = false;  // quoted in the source (JSON string)

  static KeyValue FromJson(const nlohmann::json& value);  // throws on non-scalars
  static KeyValue FromText(const std::string& text);      // YAML plain scalar
};

// Sets `key` of c from v; throws std::invalid_argument naming path.key.
void ApplyKey(Config& c, const std::string& path, const std::string& key, const KeyValue& v);

}  // namespace spindle::redis::impl
