// json_duration.hpp: a value of an app's `config:` subtree (nlohmann::json)
// read with spindled.yaml's duration grammar (<spindle/units.hpp>): a
// string ("250ms", "25s") or a bare number of seconds. Shared by
// AppContext::config_duration and the session store's config.
// Pure function; no thread or fiber contract.
#pragma once

#include <spindle/units.hpp>

#include <nlohmann/json.hpp>

#include <chrono>
#include <optional>
#include <string>

namespace spindle::server {

// nullopt when `v` is neither such a string nor a number.
inline std::optional<std::chrono::milliseconds> DurationFromJson(const nlohmann::json& v) {
  std::string text;
  if (v.is_string()) {
    text = v.get<std::string>();
  } else if (v.is_number()) {
    text = v.is_number_float() ? v.dump() : std::to_string(v.get<int64_t>());
  }
  return parse_duration(text);
}

}  // namespace spindle::server
