// mustache.hpp: Mustache templates (public app API). Compile a template once
// into an immutable flat op list, render it many times with nlohmann::json
// data into a Sink. Implements the official Mustache spec (comments,
// delimiters, interpolation, sections, inverted, partials) and the optional
// ~inheritance and ~dynamic-names modules; lambdas are C++ callables attached
// through RenderOptions::lambdas (see mustache_lambda.hpp).
//
// Thread/fiber contract: a compiled Template is immutable and may be shared
// by any number of threads and fibers. render() runs on the calling fiber and
// suspends only if the Sink does (ChunkedSink yields between chunks); the
// data, the partial source and the sink must outlive the call. Errors are
// thrown as TemplateError (compile errors and render errors alike); an
// exception thrown by the Sink (client gone) propagates unchanged.
#pragma once

#include <cstddef>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace spindle {

namespace mustache {
struct Compiled;
}

class Lambdas;

// A compile error ("unclosed section"), or a render error (a missing partial
// with RenderOptions::strict_partials, runaway partial recursion, a failing
// lambda). what() reads "<template>:<line>:<column>: <message>".
class TemplateError : public std::runtime_error {
 public:
  TemplateError(std::string template_name, size_t line, size_t column,
                const std::string& message);

  const std::string& template_name() const noexcept { return template_name_; }
  size_t line() const noexcept { return line_; }      // 1-based
  size_t column() const noexcept { return column_; }  // 1-based, in bytes
  // The message without the "<template>:<line>:<column>: " prefix.
  const std::string& message() const noexcept { return message_; }

 private:
  std::string template_name_;
  size_t line_;
  size_t column_;
  std::string message_;
};

// Where rendered output goes. write() may suspend (a streaming sink) and may
// throw (a broken connection); the renderer passes both through.
class Sink {
 public:
  virtual ~Sink() = default;
  virtual void write(std::string_view bytes) = 0;
};

// Collects the output in a string: tests and small fragments.
class StringSink final : public Sink {
 public:
  void write(std::string_view bytes) override { out_.append(bytes); }
  const std::string& str() const noexcept { return out_; }
  std::string take() noexcept { return std::move(out_); }
  void clear() noexcept { out_.clear(); }
  void reserve(size_t n) { out_.reserve(n); }

 private:
  std::string out_;
};

class Template;

// Resolves partial and parent names at render time (TemplateSet,
// TemplateCache snapshots). Returns nullptr for an unknown name.
class PartialSource {
 public:
  virtual ~PartialSource() = default;
  virtual const Template* find_partial(std::string_view name) const = 0;
};

struct RenderOptions {
  // false (the spec): an unknown partial or parent renders as "".
  // true: it throws TemplateError naming the tag's line and column.
  bool strict_partials = false;
  // Bound on nested partial/parent/block expansions, so a runaway recursive
  // partial throws instead of overflowing a fiber's stack. Each level costs
  // roughly 0.5 KiB of stack (more under ASan).
  size_t max_depth = 64;
  // C++ callables for the ~lambdas module (nullptr: none).
  const Lambdas* lambdas = nullptr;
};

// A compiled template: a cheap-to-copy handle to immutable compiled ops.
class Template {
 public:
  Template() = default;  // empty: renders nothing

  // Throws TemplateError (named `name`) on a syntax error.
  static Template compile(std::string_view source, std::string name = "<string>");
  // Reads and compiles a file; the template is named after the path.
  // Throws TemplateError (line 0) when the file cannot be read.
  static Template compile_file(const std::filesystem::path& path);

  // Renders into `sink`. Partials and parents are looked up in `partials`
  // (nullptr: none). May suspend if the sink does.
  void render(const nlohmann::json& data, Sink& sink,
              const PartialSource* partials = nullptr,
              const RenderOptions& options = {}) const;
  std::string render(const nlohmann::json& data,
                     const PartialSource* partials = nullptr,
                     const RenderOptions& options = {}) const;

  const std::string& name() const;
  const std::string& source() const;
  bool empty() const noexcept { return impl_ == nullptr; }
  // Names of the partials and parents this template refers to statically
  // (not the dynamic ones), for load-time validation.
  std::vector<std::string> referenced_partials(bool parents_only) const;

  const mustache::Compiled* compiled() const noexcept { return impl_.get(); }

 private:
  explicit Template(std::shared_ptr<const mustache::Compiled> impl)
      : impl_(std::move(impl)) {}
  std::shared_ptr<const mustache::Compiled> impl_;
};

// HTML-escapes & < > " ' into `sink` (what {{name}} does).
void write_escaped(Sink& sink, std::string_view text);

}  // namespace spindle
