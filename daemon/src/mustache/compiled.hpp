// compiled.hpp: the immutable compiled form of a Mustache template, a flat
// op list. Sections, parents and blocks own the ops [index + 1, end); the
// renderer jumps over them instead of walking a tree. Every string_view
// points into Compiled::source, so a Compiled is built in place on the heap
// and never copied or moved.
//
// Thread/fiber contract: immutable after Compile(); shared freely.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace spindle::mustache {

enum class OpKind : uint8_t {
  kText,      // write text (after the current indentation if indent_before)
  kIndent,    // write the current indentation (a line starting with a tag)
  kEscaped,   // {{name}}
  kRaw,       // {{{name}}} and {{&name}}
  kSection,   // {{#name}} ... {{/name}}
  kInverted,  // {{^name}} ... {{/name}}
  kPartial,   // {{>name}}, {{>*name}}
  kParent,    // {{<name}} ... {{/name}}: only kArg ops inside
  kArg,       // {{$name}} directly inside a parent: an argument
  kBlock,     // {{$name}} elsewhere: a parameter with default content
};

// How a parameter block's argument (or default) is re-indented, per the
// inheritance spec's standalone rules (see compiler.cpp).
enum class BlockMode : uint8_t {
  kNone,       // not standalone: the argument is inserted as is
  kLeading,    // "  {{$b}}...{{/b}}": the leading whitespace indents each line
  kIntrinsic,  // "{{$b}}\n  ...": the content's own first-line indentation
};

// A variable name: "." (no parts) or dotted parts.
struct Name {
  std::string_view full;
  uint32_t first_part = 0;
  uint32_t n_parts = 0;  // 0: the implicit iterator "."
};

struct Op {
  OpKind kind = OpKind::kText;
  bool indent_before = false;  // kText: a line starts here
  bool dynamic = false;        // kPartial/kParent: the name is a context key
  bool standalone = false;     // kPartial/kParent: `text` indents each line
  BlockMode mode = BlockMode::kNone;
  uint16_t delims = 0;   // kSection: index into Compiled::delims (lambdas)
  uint32_t end = 0;      // kSection..kBlock: index one past the content
  uint32_t line = 0;     // 1-based position of the tag, for errors
  uint32_t column = 0;
  std::string_view text;  // kText: the text; kPartial/kParent/kBlock: indent;
                          // kSection/kInverted: the raw content (lambdas)
  Name name;
};

struct Compiled {
  std::string name;
  std::string source;
  std::vector<Op> ops;
  std::vector<std::string_view> parts;  // Name parts
  // Delimiter pairs in effect at section tags (index 0: "{{" "}}").
  std::vector<std::pair<std::string, std::string>> delims;
};

// Builds `out->ops` from `out->source`, starting with the delimiters
// `open`/`close` (lambda sections keep the caller's). Throws TemplateError.
void Compile(Compiled* out, std::string_view open = "{{", std::string_view close = "}}");

}  // namespace spindle::mustache
