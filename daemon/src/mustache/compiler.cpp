// compiler.cpp: turns tokens into the flat op list (compiled.hpp).
//
// Three passes over the tokens:
//  1. Match: pair every section/parent/block tag with its end tag (errors:
//     unclosed section, mismatched or stray end tag).
//  2. Whitespace: decide which tags are standalone and drop the whitespace
//     and line end they own. Plain tags follow the core spec (the only thing
//     on their line). Parents and blocks follow the inheritance spec's pair
//     rules: a parent or parameter block is standalone when its start tag
//     clears on the left and its end tag on the right; an argument block's
//     start tag owns the line end after it and its content loses its
//     "intrinsic" indentation (that of the line after the start tag).
//  3. Emit: ops in source order. Indentation is applied at render time, at
//     every line start of the template text (kText::indent_before, kIndent),
//     which is exactly "prepend the indentation to each line of the partial
//     before rendering": interpolated values are never re-indented.
//
// Thread/fiber contract: pure function over its input.
#include <string>

#include <spindle/mustache.hpp>

#include "mustache/compiled.hpp"
#include "mustache/lexer.hpp"

namespace spindle::mustache {
namespace {

constexpr uint32_t kNone = UINT32_MAX;

struct TagInfo {
  uint32_t partner = kNone;  // matching open/close tag
  bool is_arg = false;       // '$' directly inside a '<'
  bool standalone = false;   // this tag's own whitespace was dropped
  bool pair = false;         // '<' / '$' param: the element is standalone
  std::string_view leading;  // whitespace dropped before the tag
  std::string_view intrinsic;  // '$': leading space of the next line
};

class Compiler {
 public:
  Compiler(Compiled* out, LexResult lex)
      : out_(out), toks_(std::move(lex.tokens)), line_first_(std::move(lex.line_first)),
        info_(toks_.size()), removed_(toks_.size(), false) {
    out_->delims = std::move(lex.delims);
  }

  void Run() {
    Match();
    Whitespace();
    Emit();
  }

 private:
  [[noreturn]] void Fail(const Token& t, const std::string& msg) const {
    throw TemplateError(out_->name, t.line, t.column, msg);
  }

  static bool IsOpener(char s) { return s == '#' || s == '^' || s == '<' || s == '$'; }

  std::string Describe(const Token& t) const {
    return std::string(t.dynamic ? "*" : "") + std::string(t.text);
  }

  void Match() {
    std::vector<uint32_t> stack;
    for (uint32_t i = 0; i < toks_.size(); ++i) {
      const Token& t = toks_[i];
      if (!t.is_tag) continue;
      if (IsOpener(t.sigil)) {
        info_[i].is_arg = t.sigil == '$' && !stack.empty() && toks_[stack.back()].sigil == '<';
        stack.push_back(i);
      } else if (t.sigil == '/') {
        if (stack.empty()) Fail(t, "closing tag '" + Describe(t) + "' has no open section");
        const Token& o = toks_[stack.back()];
        if (o.text != t.text || o.dynamic != t.dynamic) {
          Fail(t, "mismatched closing tag '" + Describe(t) + "': '" + Describe(o) +
                      "' opened at " + std::to_string(o.line) + ":" +
                      std::to_string(o.column) + " is still open");
        }
        info_[i].partner = stack.back();
        info_[stack.back()].partner = i;
        stack.pop_back();
      }
    }
    if (!stack.empty()) {
      const Token& o = toks_[stack.back()];
      Fail(o, std::string(o.sigil == '<' ? "unclosed parent '"
                          : o.sigil == '$' ? "unclosed block '"
                                           : "unclosed section '") +
                  Describe(o) + "'");
    }
  }

  // The whitespace text token right before tag i on its line, if any.
  uint32_t Before(uint32_t i) const {
    return i > 0 && !toks_[i - 1].is_tag && toks_[i - 1].line_index == toks_[i].line_index &&
                   !toks_[i - 1].newline
               ? i - 1
               : kNone;
  }
  uint32_t After(uint32_t i) const {
    return i + 1 < toks_.size() && !toks_[i + 1].is_tag &&
                   toks_[i + 1].line_index == toks_[i].line_index
               ? i + 1
               : kNone;
  }
  void DropLeading(uint32_t i) {
    uint32_t b = Before(i);
    if (b == kNone) return;
    info_[i].leading = toks_[b].text;
    removed_[b] = true;
  }
  void DropTrailing(uint32_t i) {
    uint32_t a = After(i);
    if (a != kNone) removed_[a] = true;
  }
  // Leading whitespace of the line after tag i's line.
  std::string_view NextLineSpace(uint32_t i) const {
    uint32_t l = toks_[i].line_index + 1;
    if (l >= line_first_.size() || line_first_[l] >= toks_.size()) return {};
    const Token& t = toks_[line_first_[l]];
    if (t.is_tag || t.line_index != l) return {};
    return LeadingSpace(t.text);
  }

  void Whitespace() {
    for (uint32_t i = 0; i < toks_.size(); ++i) {
      const Token& t = toks_[i];
      if (!t.is_tag) continue;
      TagInfo& in = info_[i];
      char s = t.sigil;
      char opener = s == '/' ? toks_[in.partner].sigil : s;
      if (s == '<') {
        const Token& c = toks_[in.partner];
        in.pair = t.lclear && c.rclear;
        if (in.pair) {
          DropLeading(i);
          DropTrailing(in.partner);
        }
      } else if (s == '$' && in.is_arg) {
        if (t.rclear) {
          in.standalone = true;
          in.intrinsic = NextLineSpace(i);
          DropTrailing(i);
        }
        if (toks_[in.partner].lclear) DropLeading(in.partner);
      } else if (s == '$') {
        const Token& c = toks_[in.partner];
        in.pair = t.lclear && c.rclear;
        if (t.lclear && t.rclear) {
          in.standalone = true;
          DropLeading(i);
          DropTrailing(i);
        }
        if (c.lclear && c.rclear) {
          info_[in.partner].standalone = true;
          DropLeading(in.partner);
          DropTrailing(in.partner);
        }
        if (in.pair && t.rclear) {
          in.intrinsic = NextLineSpace(i);
        } else if (in.pair) {
          DropLeading(i);
        }
      } else if (s == '#' || s == '^' || s == '!' || s == '=' || s == '>' ||
                 (s == '/' && (opener == '#' || opener == '^'))) {
        if (t.lclear && t.rclear) {
          in.standalone = true;
          DropLeading(i);
          DropTrailing(i);
        }
      }
    }
  }

  // --- emission ---

  struct Frame {
    uint32_t tok;
    uint32_t op;
    std::string_view saved_strip;
  };

  uint32_t AddOp(const Token& t, OpKind kind) {
    Op op;
    op.kind = kind;
    op.line = t.line;
    op.column = t.column;
    op.delims = t.delims;
    out_->ops.push_back(op);
    return static_cast<uint32_t>(out_->ops.size() - 1);
  }

  Name MakeName(std::string_view full) {
    Name n;
    n.full = full;
    n.first_part = static_cast<uint32_t>(out_->parts.size());
    if (full == ".") return n;
    size_t b = 0;
    while (true) {
      size_t dot = full.find('.', b);
      out_->parts.push_back(full.substr(b, dot == std::string_view::npos ? dot : dot - b));
      ++n.n_parts;
      if (dot == std::string_view::npos) break;
      b = dot + 1;
    }
    return n;
  }

  // Removes the active argument block's intrinsic indentation.
  std::string_view Outdent(std::string_view s) const {
    if (!strip_.empty() && s.substr(0, strip_.size()) == strip_) s.remove_prefix(strip_.size());
    return s;
  }

  void MaybeIndent(const Token& t) {
    if (!at_line_start_) return;
    AddOp(t, OpKind::kIndent);
    at_line_start_ = false;
  }

  void EmitText(uint32_t i) {
    const Token& t = toks_[i];
    if (removed_[i]) {
      if (t.newline) at_line_start_ = true;
      return;
    }
    std::string_view text = at_line_start_ ? Outdent(t.text) : t.text;
    if (text.empty()) return;
    uint32_t o = AddOp(t, OpKind::kText);
    out_->ops[o].text = text;
    out_->ops[o].indent_before = at_line_start_;
    at_line_start_ = t.newline;
  }

  // Skips tokens inside a parent that are not argument blocks.
  bool Ignored(uint32_t i) {
    const Token& t = toks_[i];
    if (ignore_depth_ > 0) {
      if (t.is_tag && IsOpener(t.sigil)) ++ignore_depth_;
      if (t.is_tag && t.sigil == '/') --ignore_depth_;
      return true;
    }
    if (stack_.empty() || toks_[stack_.back().tok].sigil != '<') return false;
    if (!t.is_tag) return true;
    if ((t.sigil == '$' && info_[i].is_arg) || (t.sigil == '/' && info_[i].partner == stack_.back().tok)) {
      return false;
    }
    if (IsOpener(t.sigil)) ignore_depth_ = 1;
    return true;
  }

  void Emit() {
    for (uint32_t i = 0; i < toks_.size(); ++i) {
      if (Ignored(i)) continue;
      const Token& t = toks_[i];
      if (!t.is_tag) {
        EmitText(i);
        continue;
      }
      switch (t.sigil) {
        case '!':
        case '=':
          break;
        case 0:
        case '{':
        case '&': {
          MaybeIndent(t);
          uint32_t o = AddOp(t, t.sigil == 0 ? OpKind::kEscaped : OpKind::kRaw);
          out_->ops[o].name = MakeName(t.text);
          break;
        }
        case '#':
        case '^':
          OpenSection(i);
          break;
        case '>':
          EmitPartial(i);
          break;
        case '<':
          OpenParent(i);
          break;
        case '$':
          OpenBlock(i);
          break;
        case '/':
          Close(i);
          break;
      }
    }
  }

  void OpenSection(uint32_t i) {
    const Token& t = toks_[i];
    if (!info_[i].standalone) MaybeIndent(t);
    uint32_t o = AddOp(t, t.sigil == '#' ? OpKind::kSection : OpKind::kInverted);
    Op& op = out_->ops[o];
    op.name = MakeName(t.text);
    const Token& c = toks_[info_[i].partner];
    op.text = std::string_view(out_->source).substr(t.end, c.begin - t.end);
    stack_.push_back({i, o, strip_});
  }

  void EmitPartial(uint32_t i) {
    const Token& t = toks_[i];
    if (!info_[i].standalone) MaybeIndent(t);
    uint32_t o = AddOp(t, OpKind::kPartial);
    Op& op = out_->ops[o];
    op.dynamic = t.dynamic;
    op.name = MakeName(t.text);
    op.standalone = info_[i].standalone;
    if (op.standalone) op.text = Outdent(info_[i].leading);
  }

  void OpenParent(uint32_t i) {
    const Token& t = toks_[i];
    if (!info_[i].pair) MaybeIndent(t);
    uint32_t o = AddOp(t, OpKind::kParent);
    Op& op = out_->ops[o];
    op.dynamic = t.dynamic;
    op.name = MakeName(t.text);
    op.standalone = info_[i].pair;
    if (op.standalone) op.text = Outdent(info_[i].leading);
    stack_.push_back({i, o, strip_});
  }

  void OpenBlock(uint32_t i) {
    const Token& t = toks_[i];
    const TagInfo& in = info_[i];
    if (in.is_arg) {
      uint32_t o = AddOp(t, OpKind::kArg);
      out_->ops[o].name = MakeName(t.text);
      stack_.push_back({i, o, strip_});
      if (in.standalone) strip_ = in.intrinsic;
      at_line_start_ = true;  // a block is an inline template
      return;
    }
    bool leading = in.pair && !t.rclear;
    if (!in.standalone && !leading) MaybeIndent(t);
    uint32_t o = AddOp(t, OpKind::kBlock);
    Op& op = out_->ops[o];
    op.name = MakeName(t.text);
    if (leading) {
      op.mode = BlockMode::kLeading;
      op.text = Outdent(in.leading);
      at_line_start_ = true;
    } else if (in.pair) {
      op.mode = BlockMode::kIntrinsic;
      op.text = Outdent(in.intrinsic);
    }
    stack_.push_back({i, o, strip_});
  }

  void Close(uint32_t i) {
    const Token& t = toks_[i];
    Frame f = stack_.back();
    stack_.pop_back();
    char opener = toks_[f.tok].sigil;
    if ((opener == '#' || opener == '^' || (opener == '$' && !info_[f.tok].is_arg)) &&
        !info_[i].standalone) {
      MaybeIndent(t);  // the indentation belongs to the content
    }
    out_->ops[f.op].end = static_cast<uint32_t>(out_->ops.size());
    strip_ = f.saved_strip;
    if (opener == '<') {
      at_line_start_ = info_[f.tok].pair;
    } else if (opener == '$' && info_[f.tok].is_arg) {
      at_line_start_ = false;  // back inside the parent: text is ignored
    }
  }

  Compiled* out_;
  std::vector<Token> toks_;
  std::vector<uint32_t> line_first_;
  std::vector<TagInfo> info_;
  std::vector<bool> removed_;
  std::vector<Frame> stack_;
  std::string_view strip_;
  int ignore_depth_ = 0;
  bool at_line_start_ = true;
};

}  // namespace

void Compile(Compiled* out, std::string_view open, std::string_view close) {
  LexResult lex = Lex(out->source, out->name, open, close);
  out->ops.reserve(lex.tokens.size() + 1);
  Compiler(out, std::move(lex)).Run();
}

}  // namespace spindle::mustache
