// schema_json.inl: ApplyJson's template body (schema.hpp).
#pragma once

#include <nlohmann/json.hpp>

namespace spindle::config {

template <class T>
void ApplyJson(const nlohmann::json& object, const std::string& path, const Section<T>& section,
               T& out) {
  if (!object.is_object()) throw ConfigError({"", {}, path, "expected a map"});
  for (auto it = object.begin(); it != object.end(); ++it) {
    std::string key = JoinKey(path, it.key());
    const Key<T>* k = section.Find(it.key());
    if (!k) throw ConfigError({"", {}, key, "unknown key"});
    Value v;
    std::string why = Convert(k->kind, k->min, k->max, k->choices,
                              JsonScalarText(it.value(), key), "", v);
    if (why.empty()) why = k->set(out, v);
    if (!why.empty()) throw ConfigError({"", {}, key, why});
  }
}

}  // namespace spindle::config
