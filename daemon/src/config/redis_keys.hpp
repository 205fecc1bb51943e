// redis_keys.hpp: the one key table of spindle::redis::Config (schema.hpp),
// kept in config/ with the other tables (redis/ uses it for FromJson),
// read from the `redis:` section of spindled.yaml, from each app's
// `config.redis` overrides, and from the JSON of Config::FromJson; plus the
// checks that span several keys.
// Pure values; no thread or fiber contract.
#pragma once

#include <spindle/redis_config.hpp>

#include <optional>
#include <string>

#include "config/schema.hpp"

namespace spindle::redis::impl {

const config::Section<Config>& ConfigKeys();

// A rule between keys that `c` breaks: the key to blame and why.
struct CrossKeyProblem {
  std::string key;  // "reconnect_max"
  std::string message;
};
std::optional<CrossKeyProblem> CheckCrossKeys(const Config& c);

}  // namespace spindle::redis::impl
