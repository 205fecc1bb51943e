// mustache_fuzz.cpp: fuzzes Mustache compile + render (daemon/src/mustache)
// with the input as the template source and a small fixed context and
// partial set (a plain partial, a recursive one, a parent with blocks).
// Property: compile and render either succeed or throw TemplateError naming
// this template (or a partial) with a 1-based position; nothing else is
// thrown and nothing crashes.
//
// Work is bounded so that a slow input is not a bug report: max_depth is 12
// (the harness's own depth budget; the stack-aware limit is a separate
// change) and the context has one two-element list, so nested sections cost
// at most 2^12 passes; output past 1 MiB stops the render (the sink throws).
#include <spindle/mustache.hpp>
#include <spindle/mustache_set.hpp>

#include <nlohmann/json.hpp>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "fuzz_check.h"

namespace {

struct OutputFull {};

class BoundedSink final : public spindle::Sink {
 public:
  void write(std::string_view bytes) override {
    size_ += bytes.size();
    if (size_ > (1u << 20)) throw OutputFull{};
  }

 private:
  size_t size_ = 0;
};

const nlohmann::json& Context() {
  static const nlohmann::json ctx = nlohmann::json::parse(R"({
    "text": "<b>&\"'", "num": 42, "neg": -7, "float": 1.5, "yes": true, "no": false,
    "nothing": null, "empty": [], "emptyobj": {}, "str": "",
    "list": [{"name": "a", "n": 1}, {"name": "b", "n": 2}],
    "one": ["x"],
    "obj": {"a": {"b": {"c": "deep"}}, "list": [1]},
    "nodes": [{"content": "X", "nodes": [{"content": "Y", "nodes": []}]}],
    "dynamic": "partial", "parent": "layout", "content": "c"
  })");
  return ctx;
}

const spindle::TemplateSet& Partials() {
  static const spindle::TemplateSet set = [] {
    spindle::TemplateSet s;
    s.add_source("partial", "[{{text}}|{{&text}}]\n");
    s.add_source("node", "{{content}}<{{#nodes}}{{>node}}{{/nodes}}>");
    s.add_source("layout", "<h1>{{$title}}Default{{/title}}</h1>\n{{$body}}{{/body}}\n");
    return s;
  }();
  return set;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view source(reinterpret_cast<const char*>(data), size);
  spindle::Template t;
  try {
    t = spindle::Template::compile(source, "fuzz");
  } catch (const spindle::TemplateError& e) {
    CHECK(e.template_name() == "fuzz");
    CHECK(e.line() >= 1 && e.column() >= 1);
    return 0;
  }
  spindle::RenderOptions options;
  options.max_depth = 12;
  for (bool strict : {false, true}) {
    options.strict_partials = strict;
    BoundedSink sink;
    try {
      t.render(Context(), sink, &Partials(), options);
    } catch (const spindle::TemplateError& e) {
      CHECK(e.line() >= 1 && e.column() >= 1);
    } catch (const OutputFull&) {
    }
  }
  return 0;
}
