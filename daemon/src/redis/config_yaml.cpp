// KeyValue/ApplyKey (the shared key table) and ConfigFromYaml. See
// config_keys.hpp and config_yaml.hpp.
#include "redis/config_yaml.hpp"

#include <charconv>
#include <cstdlib>
#include <stdexcept>

#include <nlohmann/json.hpp>
#include <yaml-cpp/yaml.h>

#include "redis/config_keys.hpp"

namespace spindle::redis {
namespace impl {
namespace {

std::optional<long long> ParseInteger(const std::string& s) {
  long long v = 0;
  auto r = std::from_chars(s.data(), s.data() + s.size(), v);
  if (r.ec != std::errc() || r.ptr != s.data() + s.size() || s.empty()) return std::nullopt;
  return v;
}

std::optional<double> ParseNumber(const std::string& s) {
  if (s.empty()) return std::nullopt;
  char* end = nullptr;
  double v = std::strtod(s.c_str(), &end);
  if (end != s.c_str() + s.size()) return std::nullopt;
  return v;
}

[[noreturn]] void Bad(const std::string& path, const std::string& key, const std::string& why) {
  throw std::invalid_argument(path + "." + key + ": " + why);
}

// Milliseconds from 250, "250", "250ms", "2s", "1.5s", "1m".
std::chrono::milliseconds Duration(const std::string& path, const std::string& key,
                                   const KeyValue& v) {
  if (v.integer) return std::chrono::milliseconds(*v.integer);
  const std::string& t = v.text;
  size_t digits = 0;
  while (digits < t.size() && (isdigit(static_cast<unsigned char>(t[digits])) || t[digits] == '.')) {
    ++digits;
  }
  auto num = ParseNumber(t.substr(0, digits));
  std::string unit = t.substr(digits);
  double scale = 0;
  if (unit == "ms" || unit.empty()) scale = 1;
  else if (unit == "s") scale = 1000;
  else if (unit == "m") scale = 60000;
  if (!num || scale == 0) Bad(path, key, "expected a duration like 250ms or 2s, got '" + t + "'");
  return std::chrono::milliseconds(static_cast<long long>(*num * scale));
}

long long Integer(const std::string& path, const std::string& key, const KeyValue& v) {
  if (!v.integer) Bad(path, key, "expected an integer, got '" + v.text + "'");
  return *v.integer;
}

size_t Count(const std::string& path, const std::string& key, const KeyValue& v) {
  long long n = Integer(path, key, v);
  if (n < 0) Bad(path, key, "must not be negative");
  return static_cast<size_t>(n);
}

}  // namespace

KeyValue KeyValue::FromJson(const nlohmann::json& value) {
  KeyValue kv;
  if (value.is_string()) {
    kv.text = value.get<std::string>();
    kv.is_string = true;
  } else if (value.is_boolean()) {
    kv.boolean = value.get<bool>();
    kv.text = *kv.boolean ? "true" : "false";
  } else if (value.is_number_integer()) {
    kv.integer = value.get<long long>();
    kv.number = static_cast<double>(*kv.integer);
    kv.text = std::to_string(*kv.integer);
  } else if (value.is_number()) {
    kv.number = value.get<double>();
    kv.text = value.dump();
  } else {
    throw std::invalid_argument("expected a scalar value, got " + value.dump());
  }
  return kv;
}

KeyValue KeyValue::FromText(const std::string& text) {
  KeyValue kv;
  kv.text = text;
  kv.integer = ParseInteger(text);
  kv.number = ParseNumber(text);
  if (text == "true") kv.boolean = true;
  if (text == "false") kv.boolean = false;
  return kv;
}

void ApplyKey(Config& c, const std::string& path, const std::string& key, const KeyValue& v) {
  if (key == "address") c.address = v.text;
  else if (key == "database") c.database = static_cast<int>(Integer(path, key, v));
  else if (key == "username") c.username = v.text;
  else if (key == "password") c.password = v.text;
  else if (key == "pool_size") c.pool_size = Count(path, key, v);
  else if (key == "max_in_flight") c.max_in_flight = Count(path, key, v);
  else if (key == "connect_timeout") c.connect_timeout = Duration(path, key, v);
  else if (key == "command_timeout") c.command_timeout = Duration(path, key, v);
  else if (key == "pool_wait_timeout") c.pool_wait_timeout = Duration(path, key, v);
  else if (key == "reconnect_min") c.reconnect_min = Duration(path, key, v);
  else if (key == "reconnect_max") c.reconnect_max = Duration(path, key, v);
  else if (key == "reconnect_jitter") {
    if (!v.number) Bad(path, key, "expected a number, got '" + v.text + "'");
    c.reconnect_jitter = *v.number;
  } else if (key == "subscription_capacity") c.subscription_capacity = Count(path, key, v);
  else Bad(path, key, "unknown key");
}

}  // namespace impl

Config ConfigFromYaml(const YAML::Node& node, const std::string& path) {
  Config c;
  if (!node || node.IsNull()) return c;
  if (!node.IsMap()) {
    throw std::invalid_argument(path + " (line " + std::to_string(node.Mark().line + 1) +
                                "): expected a mapping");
  }
  for (const auto& kv : node) {
    const std::string key = kv.first.as<std::string>();
    const YAML::Node& value = kv.second;
    const std::string where = " (line " + std::to_string(value.Mark().line + 1) + ")";
    if (!value.IsScalar()) {
      throw std::invalid_argument(path + "." + key + where + ": expected a scalar value");
    }
    try {
      impl::ApplyKey(c, path, key, impl::KeyValue::FromText(value.Scalar()));
    } catch (const std::invalid_argument& e) {
      throw std::invalid_argument(std::string(e.what()) + where);
    }
  }
  c.Validate();
  return c;
}

}  // namespace spindle::redis
