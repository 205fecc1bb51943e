// template.cpp: the Template handle and TemplateError (mustache.hpp).
//
// Thread/fiber contract: compile() is pure; render() runs on the caller.
#include <fstream>
#include <set>
#include <sstream>

#include <spindle/mustache.hpp>

#include "mustache/compiled.hpp"
#include "mustache/renderer.hpp"

namespace spindle {

using mustache::Compiled;
using mustache::OpKind;

TemplateError::TemplateError(std::string template_name, size_t line, size_t column,
                             const std::string& message)
    : std::runtime_error(template_name + ":" + std::to_string(line) + ":" +
                         std::to_string(column) + ": " + message),
      template_name_(std::move(template_name)),
      line_(line),
      column_(column),
      message_(message) {}

Template Template::compile(std::string_view source, std::string name) {
  auto c = std::make_shared<Compiled>();
  c->name = std::move(name);
  c->source.assign(source.data(), source.size());
  mustache::Compile(c.get());
  return Template(std::move(c));
}

Template Template::compile_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw TemplateError(path.string(), 0, 0, "cannot read template file");
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) throw TemplateError(path.string(), 0, 0, "error reading template file");
  return compile(ss.str(), path.string());
}

void Template::render(const nlohmann::json& data, Sink& sink, const PartialSource* partials,
                      const RenderOptions& options) const {
  if (impl_ == nullptr) return;
  mustache::Renderer r(data, sink, partials, options);
  r.Run(*impl_, 0, static_cast<uint32_t>(impl_->ops.size()), {}, nullptr);
}

std::string Template::render(const nlohmann::json& data, const PartialSource* partials,
                             const RenderOptions& options) const {
  StringSink sink;
  render(data, sink, partials, options);
  return sink.take();
}

const std::string& Template::name() const {
  static const std::string kEmpty;
  return impl_ != nullptr ? impl_->name : kEmpty;
}

const std::string& Template::source() const {
  static const std::string kEmpty;
  return impl_ != nullptr ? impl_->source : kEmpty;
}

std::vector<std::string> Template::referenced_partials(bool parents_only) const {
  std::set<std::string> names;
  if (impl_ != nullptr) {
    for (const auto& op : impl_->ops) {
      if (op.dynamic) continue;
      if (op.kind == OpKind::kParent || (!parents_only && op.kind == OpKind::kPartial)) {
        names.emplace(op.name.full);
      }
    }
  }
  return {names.begin(), names.end()};
}

}  // namespace spindle
