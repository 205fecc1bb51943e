// postgres_keys.hpp: the one key table of spindle::pg::Config (schema.hpp),
// read from the `postgres:` section of spindled.yaml, from each app's
// `config.postgres` overrides, and from the JSON of Config::FromJson; plus
// the checks that span several keys.
// Pure values; no thread or fiber contract.
#pragma once

#include <spindle/pg_config.hpp>

#include <optional>
#include <string>

#include "config/schema.hpp"

namespace spindle::pg::impl {

const config::Section<Config>& ConfigKeys();

// A rule between keys that `c` breaks: the key to blame and why.
struct CrossKeyProblem {
  std::string key;
  std::string message;
};
std::optional<CrossKeyProblem> CheckCrossKeys(const Config& c);

}  // namespace spindle::pg::impl
