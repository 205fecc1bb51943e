// schema_yaml.hpp: reads YAML maps through the key tables of schema.hpp,
// failing with a ConfigError that carries the file, the line:column of the
// offending node and the key path. Used by the spindled.yaml loader for every
// section, `redis:`, `postgres:` and each app's `config.redis` /
// `config.postgres` overrides included.
// Pure values; no thread or fiber contract.
#pragma once

#include "config/schema.hpp"

#include <yaml-cpp/yaml.h>

#include <map>
#include <string>

namespace spindle::config {

class YamlReader {
 public:
  YamlReader(std::string file, std::string base_dir)
      : file_(std::move(file)), base_dir_(std::move(base_dir)) {}

  const std::string& file() const { return file_; }
  const std::string& base_dir() const { return base_dir_; }

  [[noreturn]] void Fail(const YAML::Node& node, const std::string& key,
                         const std::string& message) const {
    Mark mark;
    if (node.IsDefined() && node.Mark().line >= 0) {
      mark = {node.Mark().line + 1, node.Mark().column + 1};
    }
    throw ConfigError({file_, mark, key, message});
  }

  void RequireMap(const YAML::Node& node, const std::string& key) const {
    if (!node.IsMap()) Fail(node, key, "expected a map");
  }

  // Fails at the second of two equal keys of `map`: YAML keys are unique,
  // but yaml-cpp keeps both, and node["k"] would see the first while a loop
  // over the map applies the last.
  void RequireUniqueKeys(const YAML::Node& map, const std::string& path) const {
    std::map<std::string, int> first_line;
    for (const auto& kv : map) {
      if (!kv.first.IsScalar()) continue;  // the caller's "expected a key"
      auto [first, added] = first_line.emplace(kv.first.Scalar(), kv.first.Mark().line + 1);
      if (!added) {
        Fail(kv.first, JoinKey(path, kv.first.Scalar()),
             "repeated (first at line " + std::to_string(first->second) + ")");
      }
    }
  }

  std::string Scalar(const YAML::Node& node, const std::string& key) const {
    if (!node.IsScalar()) Fail(node, key, "expected a scalar value");
    return node.Scalar();
  }

  // Applies every key of `map` to `out` by the section's table; sub-sections
  // are skipped for the caller to read.
  template <class T>
  void Apply(const YAML::Node& map, const std::string& path, const Section<T>& section,
             T& out) const {
    RequireMap(map, path);
    RequireUniqueKeys(map, path);
    for (const auto& kv : map) {
      if (!kv.first.IsScalar()) Fail(kv.first, path, "expected a key");
      const std::string name = kv.first.Scalar();
      if (section.IsSubsection(name)) continue;
      const std::string key = JoinKey(path, name);
      const Key<T>* k = section.Find(name);
      if (!k) Fail(kv.first, key, "unknown key");
      Value v;
      std::string why =
          Convert(k->kind, k->min, k->max, k->choices, Scalar(kv.second, key), base_dir_, v);
      if (why.empty()) why = k->set(out, v);
      if (!why.empty()) Fail(kv.second, key, why);
    }
  }

 private:
  std::string file_;
  std::string base_dir_;
};

}  // namespace spindle::config
