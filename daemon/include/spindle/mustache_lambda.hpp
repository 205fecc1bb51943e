// mustache_lambda.hpp: the Mustache ~lambdas module through C++ callables.
// json cannot hold functions, so the data refers to a lambda by name with a
// marker object, Lambdas::ref("name") == {"__lambda__": "name"}, and the
// callables live in a Lambdas table passed as RenderOptions::lambdas.
//
//  - {{name}} / {{{name}}}: the Interpolation's result is rendered as a
//    template (default delimiters) against the current context, then
//    interpolated (HTML-escaped for {{name}}).
//  - {{#name}}raw{{/name}}: the Section callable receives the raw section
//    text; its result is rendered with the current delimiters in place of
//    the section. {{^name}} treats a lambda as truthy (renders nothing).
//
// Thread/fiber contract: callables run on the rendering fiber; a Lambdas
// table is read-only while renders use it. A callable that throws makes the
// render throw TemplateError (naming the tag).
#pragma once

#include <functional>
#include <map>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace spindle {

class Lambdas {
 public:
  using Interpolation = std::function<std::string()>;
  using Section = std::function<std::string(std::string_view raw)>;

  void add(std::string name, Interpolation fn) { interpolations_[std::move(name)] = std::move(fn); }
  void add_section(std::string name, Section fn) { sections_[std::move(name)] = std::move(fn); }

  const Interpolation* interpolation(std::string_view name) const {
    auto it = interpolations_.find(name);
    return it == interpolations_.end() ? nullptr : &it->second;
  }
  const Section* section(std::string_view name) const {
    auto it = sections_.find(name);
    return it == sections_.end() ? nullptr : &it->second;
  }

  // The marker to put in the data where the lambda should be found.
  static nlohmann::json ref(std::string name) { return {{kKey, std::move(name)}}; }
  // The lambda name if `v` is a marker, else nullptr.
  static const std::string* name_of(const nlohmann::json& v) {
    if (!v.is_object() || v.size() != 1) return nullptr;
    auto it = v.find(kKey);
    return it != v.end() && it->is_string() ? &it->template get_ref<const std::string&>() : nullptr;
  }

  static constexpr const char* kKey = "__lambda__";

 private:
  std::map<std::string, Interpolation, std::less<>> interpolations_;
  std::map<std::string, Section, std::less<>> sections_;
};

}  // namespace spindle
