// renderer.hpp: executes a compiled op list against nlohmann::json data.
//
// The context stack holds pointers into the caller's json (never copies);
// indentation strings are views, concatenated only when a standalone partial
// is itself indented. Recursion (sections, partials, parents, blocks,
// lambdas) is bounded twice, and a runaway template throws TemplateError
// instead of overflowing a fiber stack: by RenderOptions::max_depth, and by
// the stack itself — every level first checks this_fiber::stack_remaining()
// against kStackReserve.
//
// Thread/fiber contract: one Renderer per render() call, on the calling
// fiber; suspends only inside Sink::write.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include <nlohmann/json.hpp>
#include <spindle/mustache.hpp>

#include "mustache/compiled.hpp"

namespace spindle::mustache {

// The arguments a parent tag passes: its kArg ops. Chained outwards; the
// outermost (child-most) definition of a block name wins.
// The stack a level may not eat into. It must cover the deepest frame
// chain between two checks, and the throw: one level's frames (Run plus
// Section, Partial, Parent, Block or Lambda), the leaf work below the last
// level (Lookup, Write, the sink down to the socket write or a yield, a
// lambda's callable and Compile) and the unwinder raising TemplateError.
// Measured by tests/mustache/stack_limit_test.cc (it prints the numbers):
// see docs/templates.md. ASan's redzones make every frame several times
// larger (and the engine's fiber stacks 4x), so the reserve grows too.
#if defined(__SANITIZE_ADDRESS__)
inline constexpr size_t kStackReserve = 32 * 1024;
#else
inline constexpr size_t kStackReserve = 8 * 1024;
#endif
// Interpolating an array or object prints it with json::dump(), which
// recurses once per nesting level; its stack per level, measured like the
// reserve (138 bytes; 2256 under ASan), with room to spare.
#if defined(__SANITIZE_ADDRESS__)
inline constexpr size_t kDumpBytesPerLevel = 4096;
#else
inline constexpr size_t kDumpBytesPerLevel = 256;
#endif

struct Overrides {
  const Compiled* tmpl;
  uint32_t parent_op;
  const Overrides* next;
};

// A stack of pointers with inline room for the common depth.
class ContextStack {
 public:
  explicit ContextStack(const nlohmann::json* root) { Push(root); }
  ~ContextStack() {
    if (data_ != inline_) delete[] data_;
  }
  ContextStack(const ContextStack&) = delete;
  ContextStack& operator=(const ContextStack&) = delete;

  void Push(const nlohmann::json* v) {
    if (size_ == cap_) Grow();
    data_[size_++] = v;
  }
  void Pop() { --size_; }
  size_t size() const { return size_; }
  const nlohmann::json* at(size_t i) const { return data_[i]; }
  const nlohmann::json* top() const { return data_[size_ - 1]; }

 private:
  void Grow();

  static constexpr size_t kInline = 16;
  const nlohmann::json* inline_[kInline];
  const nlohmann::json** data_ = inline_;
  size_t size_ = 0;
  size_t cap_ = kInline;
};

class Renderer {
 public:
  Renderer(const nlohmann::json& data, Sink& sink, const PartialSource* partials,
           const RenderOptions& options)
      : stack_(&data), sink_(sink), partials_(partials), options_(options) {}

  void Run(const Compiled& t, uint32_t begin, uint32_t end, std::string_view indent,
           const Overrides* overrides);

 private:
  const nlohmann::json* Lookup(const Compiled& t, const Name& name) const;
  void Write(const Compiled& t, const Op& op, const nlohmann::json& v, bool escape);
  void CheckDumpable(const Compiled& t, const Op& op, const nlohmann::json& v) const;
  void Section(const Compiled& t, uint32_t i, std::string_view indent, const Overrides* ov);
  void Partial(const Compiled& t, const Op& op, std::string_view indent, const Overrides* ov);
  void Parent(const Compiled& t, uint32_t i, std::string_view indent, const Overrides* ov);
  void Block(const Compiled& t, uint32_t i, std::string_view indent, const Overrides* ov);
  // Resolves a partial/parent tag's name; nullptr: render nothing.
  const Compiled* FindPartial(const Compiled& t, const Op& op);
  void Enter(const Compiled& t, const Op& op);
  void Leave() { --depth_; }
  void Lambda(const Compiled& t, const Op& op, const nlohmann::json& v, std::string_view indent,
              const Overrides* ov);

  ContextStack stack_;
  Sink& sink_;
  const PartialSource* partials_;
  const RenderOptions& options_;
  size_t depth_ = 0;
};

bool Truthy(const nlohmann::json& v);

}  // namespace spindle::mustache
