// mustache_set.hpp: named templates that resolve each other's partials and
// parents: TemplateSet (built in code or loaded from a directory).
//
// Thread/fiber contract: build a set on one thread, then treat it as
// read-only; a read-only set may be shared by any threads and fibers.
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <spindle/mustache.hpp>

namespace spindle {

class TemplateSet : public PartialSource {
 public:
  // Adds or replaces a template.
  void add(std::string name, Template tmpl);
  // Compiles `source` (named `name` in errors) and adds it.
  void add_source(std::string name, std::string_view source);

  const Template* find_partial(std::string_view name) const override;
  // Throws TemplateError ("unknown template") if absent.
  const Template& get(std::string_view name) const;
  bool contains(std::string_view name) const { return find_partial(name) != nullptr; }
  size_t size() const { return templates_.size(); }
  std::vector<std::string> names() const;

  // Renders template `name` with this set as the partial source.
  void render(std::string_view name, const nlohmann::json& data, Sink& sink,
              const RenderOptions& options = {}) const;
  std::string render(std::string_view name, const nlohmann::json& data,
                     const RenderOptions& options = {}) const;

  // Throws TemplateError at the tag of the first static parent ({{<name}})
  // that is not in the set; warns (spdlog) about unknown static partials,
  // which the spec renders as "".
  void validate() const;

  // Loads every regular file under `dir` (recursively) whose name ends in
  // `extension`; a template's name is its path relative to `dir` without
  // the extension ("layout", "users/row"). Compiles and validates; throws
  // TemplateError on the first error.
  static TemplateSet load_directory(const std::filesystem::path& dir,
                                    std::string_view extension = ".mustache");

 private:
  std::map<std::string, Template, std::less<>> templates_;
};

}  // namespace spindle
