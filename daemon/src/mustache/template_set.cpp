// template_set.cpp: TemplateSet (mustache_set.hpp).
//
// Thread/fiber contract: mutations on one thread; const calls anywhere.
#include <spindle/mustache_set.hpp>

#include <spdlog/spdlog.h>

#include "mustache/compiled.hpp"
#include "mustache/directory.hpp"

namespace spindle {

void TemplateSet::add(std::string name, Template tmpl) {
  templates_.insert_or_assign(std::move(name), std::move(tmpl));
}

void TemplateSet::add_source(std::string name, std::string_view source) {
  Template t = Template::compile(source, name);
  add(std::move(name), std::move(t));
}

const Template* TemplateSet::find_partial(std::string_view name) const {
  auto it = templates_.find(name);
  return it == templates_.end() ? nullptr : &it->second;
}

const Template& TemplateSet::get(std::string_view name) const {
  const Template* t = find_partial(name);
  if (t == nullptr) throw TemplateError(std::string(name), 0, 0, "unknown template");
  return *t;
}

std::vector<std::string> TemplateSet::names() const {
  std::vector<std::string> out;
  out.reserve(templates_.size());
  for (const auto& [name, t] : templates_) out.push_back(name);
  return out;
}

void TemplateSet::render(std::string_view name, const nlohmann::json& data, Sink& sink,
                         const RenderOptions& options) const {
  get(name).render(data, sink, this, options);
}

std::string TemplateSet::render(std::string_view name, const nlohmann::json& data,
                                const RenderOptions& options) const {
  return get(name).render(data, this, options);
}

void TemplateSet::validate() const {
  using mustache::OpKind;
  for (const auto& [name, t] : templates_) {
    const mustache::Compiled* c = t.compiled();
    if (c == nullptr) continue;
    for (const auto& op : c->ops) {
      if (op.dynamic || (op.kind != OpKind::kParent && op.kind != OpKind::kPartial)) continue;
      if (contains(op.name.full)) continue;
      if (op.kind == OpKind::kParent) {
        throw TemplateError(c->name, op.line, op.column,
                            "unknown parent '" + std::string(op.name.full) + "'");
      }
      spdlog::warn("template '{}' line {}: unknown partial '{}' renders as empty", c->name,
                   op.line, op.name.full);
    }
  }
}

TemplateSet TemplateSet::load_directory(const std::filesystem::path& dir,
                                        std::string_view extension) {
  TemplateSet set;
  for (const auto& f : mustache::ListTemplates(dir, extension)) {
    Template t = Template::compile_file(f.path);
    set.add(f.name, std::move(t));
  }
  set.validate();
  return set;
}

}  // namespace spindle
