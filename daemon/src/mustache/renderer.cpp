// renderer.cpp: the op-list interpreter (see renderer.hpp).
#include "mustache/renderer.hpp"

#include <algorithm>
#include <charconv>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <spindle/fiber.hpp>
#include <spindle/mustache_lambda.hpp>

namespace spindle::mustache {

using nlohmann::json;

void ContextStack::Grow() {
  size_t cap = cap_ * 2;
  auto* d = new const json*[cap];
  for (size_t i = 0; i < size_; ++i) d[i] = data_[i];
  if (data_ != inline_) delete[] data_;
  data_ = d;
  cap_ = cap;
}

// The spec's "!!data": null, false, 0, "" and [] are falsey.
bool Truthy(const json& v) {
  switch (v.type()) {
    case json::value_t::null:
      return false;
    case json::value_t::boolean:
      return v.get<bool>();
    case json::value_t::string:
      return !v.get_ref<const std::string&>().empty();
    case json::value_t::array:
      return !v.empty();
    case json::value_t::number_integer:
      return v.get<int64_t>() != 0;
    case json::value_t::number_unsigned:
      return v.get<uint64_t>() != 0;
    case json::value_t::number_float: {
      double d = v.get<double>();
      return d == d && d != 0.0;
    }
    default:
      return true;
  }
}

// Dotted names resolve their first part along the stack, the rest inside
// that value only ("Dotted Names - Context Precedence").
const json* Renderer::Lookup(const Compiled& t, const Name& name) const {
  if (name.n_parts == 0) return stack_.top();
  std::string_view first = t.parts[name.first_part];
  const json* v = nullptr;
  for (size_t i = stack_.size(); i-- > 0;) {
    const json* frame = stack_.at(i);
    if (!frame->is_object()) continue;
    auto it = frame->find(first);
    if (it != frame->end()) {
      v = &*it;
      break;
    }
  }
  for (uint32_t p = 1; v != nullptr && p < name.n_parts; ++p) {
    if (!v->is_object()) return nullptr;
    auto it = v->find(t.parts[name.first_part + p]);
    v = it == v->end() ? nullptr : &*it;
  }
  return v;
}

namespace {

// Nesting depth of a container, walked with an explicit stack: the value may
// be nested deeper than the stack could recurse.
size_t NestingDepth(const json& v) {
  std::vector<std::pair<const json*, size_t>> pending{{&v, 1}};
  size_t deepest = 0;
  while (!pending.empty()) {
    auto [cur, depth] = pending.back();
    pending.pop_back();
    deepest = std::max(deepest, depth);
    for (const json& child : *cur) {
      if (child.is_structured()) pending.emplace_back(&child, depth + 1);
    }
  }
  return deepest;
}

}  // namespace

// json::dump() recurses once per nesting level: refuse a value the stack
// cannot print instead of overflowing.
void Renderer::CheckDumpable(const Compiled& t, const Op& op, const json& v) const {
  const size_t depth = NestingDepth(v);
  const size_t left = this_fiber::stack_remaining();
  const size_t need = kStackReserve + depth * kDumpBytesPerLevel;
  if (left < need) {
    throw TemplateError(t.name, op.line, op.column,
                        "value nested " + std::to_string(depth) +
                            " deep is too deep to print with the stack left (" +
                            std::to_string(left) + " bytes)");
  }
}

void Renderer::Write(const Compiled& t, const Op& op, const json& v, bool escape) {
  char buf[32];
  switch (v.type()) {
    case json::value_t::string: {
      const std::string& s = v.get_ref<const std::string&>();
      if (escape) {
        write_escaped(sink_, s);
      } else {
        sink_.write(s);
      }
      return;
    }
    case json::value_t::number_integer: {
      auto r = std::to_chars(buf, buf + sizeof buf, v.get<int64_t>());
      sink_.write(std::string_view(buf, r.ptr - buf));
      return;
    }
    case json::value_t::number_unsigned: {
      auto r = std::to_chars(buf, buf + sizeof buf, v.get<uint64_t>());
      sink_.write(std::string_view(buf, r.ptr - buf));
      return;
    }
    case json::value_t::number_float: {
      auto r = std::to_chars(buf, buf + sizeof buf, v.get<double>());
      sink_.write(std::string_view(buf, r.ptr - buf));
      return;
    }
    case json::value_t::boolean:
      sink_.write(v.get<bool>() ? "true" : "false");
      return;
    case json::value_t::null:
    case json::value_t::discarded:
      return;
    default: {
      if (!v.empty()) CheckDumpable(t, op, v);
      std::string s = v.dump();
      if (escape) {
        write_escaped(sink_, s);
      } else {
        sink_.write(s);
      }
    }
  }
}

void Renderer::Enter(const Compiled& t, const Op& op) {
  if (++depth_ > options_.max_depth) {
    --depth_;
    throw TemplateError(t.name, op.line, op.column,
                        "templates nested deeper than max_depth " +
                            std::to_string(options_.max_depth) +
                            " (recursive partial or block?)");
  }
  const size_t left = this_fiber::stack_remaining();
  if (left < kStackReserve) {
    --depth_;
    throw TemplateError(t.name, op.line, op.column,
                        "templates nested too deep for the stack: " + std::to_string(left) +
                            " bytes left at depth " + std::to_string(depth_ + 1) +
                            ", the renderer keeps " + std::to_string(kStackReserve) +
                            " (recursive partial, block or lambda?)");
  }
}

void Renderer::Run(const Compiled& t, uint32_t begin, uint32_t end, std::string_view indent,
                   const Overrides* ov) {
  const Op* ops = t.ops.data();
  uint32_t i = begin;
  while (i < end) {
    const Op& op = ops[i];
    switch (op.kind) {
      case OpKind::kText:
        if (op.indent_before && !indent.empty()) sink_.write(indent);
        sink_.write(op.text);
        ++i;
        break;
      case OpKind::kIndent:
        if (!indent.empty()) sink_.write(indent);
        ++i;
        break;
      case OpKind::kEscaped:
      case OpKind::kRaw:
        if (const json* v = Lookup(t, op.name)) {
          if (options_.lambdas != nullptr && Lambdas::name_of(*v) != nullptr) {
            Lambda(t, op, *v, indent, ov);
          } else {
            Write(t, op, *v, op.kind == OpKind::kEscaped);
          }
        }
        ++i;
        break;
      case OpKind::kSection:
      case OpKind::kInverted:
        Section(t, i, indent, ov);
        i = op.end;
        break;
      case OpKind::kPartial:
        Partial(t, op, indent, ov);
        ++i;
        break;
      case OpKind::kParent:
        Parent(t, i, indent, ov);
        i = op.end;
        break;
      case OpKind::kBlock:
        Block(t, i, indent, ov);
        i = op.end;
        break;
      case OpKind::kArg:
        i = op.end;
        break;
    }
  }
}

void Renderer::Section(const Compiled& t, uint32_t i, std::string_view indent,
                       const Overrides* ov) {
  const Op& op = t.ops[i];
  const json* v = Lookup(t, op.name);
  bool is_lambda = v != nullptr && options_.lambdas != nullptr && Lambdas::name_of(*v) != nullptr;
  if (op.kind == OpKind::kInverted) {
    if (v == nullptr || (!is_lambda && !Truthy(*v))) {
      Enter(t, op);
      Run(t, i + 1, op.end, indent, ov);
      Leave();
    }
    return;
  }
  if (v == nullptr) return;
  if (is_lambda) {
    Lambda(t, op, *v, indent, ov);
    return;
  }
  if (!Truthy(*v)) return;
  Enter(t, op);
  if (v->is_array()) {
    for (const json& item : *v) {
      stack_.Push(&item);
      Run(t, i + 1, op.end, indent, ov);
      stack_.Pop();
    }
  } else {
    stack_.Push(v);
    Run(t, i + 1, op.end, indent, ov);
    stack_.Pop();
  }
  Leave();
}

const Compiled* Renderer::FindPartial(const Compiled& t, const Op& op) {
  std::string_view name = op.name.full;
  if (op.dynamic) {
    const json* v = Lookup(t, op.name);
    if (v == nullptr || !v->is_string()) return nullptr;  // spec: renders ""
    name = v->get_ref<const std::string&>();
  }
  const Template* p = partials_ != nullptr ? partials_->find_partial(name) : nullptr;
  if (p == nullptr || p->compiled() == nullptr) {
    if (options_.strict_partials) {
      throw TemplateError(t.name, op.line, op.column,
                          std::string(op.kind == OpKind::kParent ? "unknown parent '"
                                                                 : "unknown partial '") +
                              std::string(name) + "'");
    }
    return nullptr;
  }
  return p->compiled();
}

void Renderer::Partial(const Compiled& t, const Op& op, std::string_view indent,
                       const Overrides* ov) {
  const Compiled* p = FindPartial(t, op);
  if (p == nullptr) return;
  Enter(t, op);
  if (!op.standalone) {
    Run(*p, 0, static_cast<uint32_t>(p->ops.size()), {}, ov);
  } else if (indent.empty()) {
    Run(*p, 0, static_cast<uint32_t>(p->ops.size()), op.text, ov);
  } else {
    std::string joined = std::string(indent) + std::string(op.text);
    Run(*p, 0, static_cast<uint32_t>(p->ops.size()), joined, ov);
  }
  Leave();
}

void Renderer::Parent(const Compiled& t, uint32_t i, std::string_view indent,
                      const Overrides* ov) {
  const Op& op = t.ops[i];
  const Compiled* p = FindPartial(t, op);
  if (p == nullptr) return;
  Overrides mine{&t, i, ov};
  Enter(t, op);
  if (!op.standalone) {
    Run(*p, 0, static_cast<uint32_t>(p->ops.size()), {}, &mine);
  } else if (indent.empty()) {
    Run(*p, 0, static_cast<uint32_t>(p->ops.size()), op.text, &mine);
  } else {
    std::string joined = std::string(indent) + std::string(op.text);
    Run(*p, 0, static_cast<uint32_t>(p->ops.size()), joined, &mine);
  }
  Leave();
}

void Renderer::Block(const Compiled& t, uint32_t i, std::string_view indent,
                     const Overrides* ov) {
  const Op& op = t.ops[i];
  // The outermost definition wins: keep the last match along the chain.
  const Compiled* arg_tmpl = nullptr;
  uint32_t arg = 0;
  for (const Overrides* f = ov; f != nullptr; f = f->next) {
    const std::vector<Op>& ops = f->tmpl->ops;
    for (uint32_t j = f->parent_op + 1; j < ops[f->parent_op].end; j = ops[j].end) {
      if (ops[j].name.full == op.name.full) {
        arg_tmpl = f->tmpl;
        arg = j;
      }
    }
  }
  Enter(t, op);
  std::string joined;
  if (arg_tmpl != nullptr) {
    std::string_view ind;
    if (op.mode != BlockMode::kNone) {
      ind = op.text;
      if (!indent.empty()) ind = joined = std::string(indent) + std::string(op.text);
    }
    Run(*arg_tmpl, arg + 1, arg_tmpl->ops[arg].end, ind, ov);
  } else {
    std::string_view ind = indent;
    if (op.mode == BlockMode::kLeading) {
      ind = op.text;
      if (!indent.empty()) ind = joined = std::string(indent) + std::string(op.text);
    }
    Run(t, i + 1, op.end, ind, ov);
  }
  Leave();
}

void Renderer::Lambda(const Compiled& t, const Op& op, const json& v, std::string_view indent,
                      const Overrides* ov) {
  const std::string& lname = *Lambdas::name_of(v);
  bool section = op.kind == OpKind::kSection;
  // Before the callable: it and Compile get at least kStackReserve.
  Enter(t, op);
  auto compiled = std::make_unique<Compiled>();
  compiled->name = t.name + "#lambda:" + lname;
  try {
    if (section) {
      const Lambdas::Section* fn = options_.lambdas->section(lname);
      if (fn == nullptr) throw std::runtime_error("no section lambda '" + lname + "'");
      compiled->source = (*fn)(op.text);
      const auto& d = t.delims[op.delims];
      Compile(compiled.get(), d.first, d.second);
    } else {
      const Lambdas::Interpolation* fn = options_.lambdas->interpolation(lname);
      if (fn == nullptr) throw std::runtime_error("no interpolation lambda '" + lname + "'");
      compiled->source = (*fn)();
      Compile(compiled.get());
    }
  } catch (const TemplateError&) {
    throw;
  } catch (const std::exception& e) {
    throw TemplateError(t.name, op.line, op.column, std::string("lambda failed: ") + e.what());
  }
  uint32_t n = static_cast<uint32_t>(compiled->ops.size());
  if (section) {
    Run(*compiled, 0, n, {}, ov);
  } else {
    // Render to a buffer first: the result is interpolated (maybe escaped).
    StringSink buf;
    Renderer inner(*stack_.top(), buf, partials_, options_);
    inner.stack_.Pop();
    for (size_t k = 0; k < stack_.size(); ++k) inner.stack_.Push(stack_.at(k));
    inner.depth_ = depth_;
    inner.Run(*compiled, 0, n, {}, ov);
    if (op.kind == OpKind::kEscaped) {
      write_escaped(sink_, buf.str());
    } else {
      sink_.write(buf.str());
    }
  }
  (void)indent;
  Leave();
}

}  // namespace spindle::mustache
