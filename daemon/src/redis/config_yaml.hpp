// The YAML front end of spindle::redis::Config, for the config loader inside
// libspindle: ConfigFromYaml(node["redis"]). Errors (std::invalid_argument)
// name the key path and the YAML line. Plain values; no fiber contract.
#pragma once

#include <string>

#include <spindle/redis_config.hpp>

namespace YAML {
class Node;
}

namespace spindle::redis {

Config ConfigFromYaml(const YAML::Node& node, const std::string& path = "redis");

}  // namespace spindle::redis
