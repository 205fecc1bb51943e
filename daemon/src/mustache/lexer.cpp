// lexer.cpp: Mustache tokenizer (see lexer.hpp). Scans for the current open
// delimiter with string_view::find, so long runs of text cost one memchr-like
// pass; Set Delimiter tags switch the delimiters for the rest of the source.
#include "mustache/lexer.hpp"

#include <spindle/mustache.hpp>

namespace spindle::mustache {
namespace {

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

std::string_view Trim(std::string_view s) {
  while (!s.empty() && IsSpace(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsSpace(s.back())) s.remove_suffix(1);
  return s;
}

class Lexer {
 public:
  Lexer(std::string_view src, const std::string& name, std::string_view open,
        std::string_view close)
      : src_(src), name_(name) {
    out_.delims.emplace_back(std::string(open), std::string(close));
    out_.line_first.push_back(0);
  }

  LexResult Run() {
    size_t pos = 0;
    while (pos < src_.size()) {
      size_t open_at = src_.find(open(), pos);
      if (open_at == std::string_view::npos) {
        AddText(pos, src_.size());
        break;
      }
      AddText(pos, open_at);
      pos = AddTag(open_at);
    }
    ComputeClearance();
    return std::move(out_);
  }

 private:
  const std::string& open() const { return out_.delims[delims_].first; }
  const std::string& close() const { return out_.delims[delims_].second; }

  [[noreturn]] void Fail(size_t at, const std::string& msg) const {
    size_t line = 1, col = 1;
    for (size_t i = 0; i < at && i < src_.size(); ++i) {
      if (src_[i] == '\n') {
        ++line;
        col = 1;
      } else {
        ++col;
      }
    }
    throw TemplateError(name_, line, col, msg);
  }

  // Adds text [b, e) as one token per line.
  void AddText(size_t b, size_t e) {
    while (b < e) {
      size_t nl = src_.find('\n', b);
      size_t stop = (nl == std::string_view::npos || nl >= e) ? e : nl + 1;
      Token t;
      t.begin = b;
      t.end = stop;
      t.text = src_.substr(b, stop - b);
      t.newline = t.text.back() == '\n';
      std::string_view body = t.text;
      if (t.newline) body.remove_suffix(1);
      if (t.newline && !body.empty() && body.back() == '\r') body.remove_suffix(1);
      t.ws_only = body.find_first_not_of(" \t") == std::string_view::npos;
      Push(t);
      if (t.newline) {
        ++line_;
        line_start_ = stop;
        out_.line_first.push_back(static_cast<uint32_t>(out_.tokens.size()));
      }
      b = stop;
    }
  }

  void Push(Token& t) {
    t.line = line_;
    t.column = static_cast<uint32_t>(t.begin - line_start_ + 1);
    t.line_index = static_cast<uint32_t>(out_.line_first.size() - 1);
    out_.tokens.push_back(t);
  }

  // Parses the tag at `at`; returns the position after it.
  size_t AddTag(size_t at) {
    Token t;
    t.is_tag = true;
    t.begin = at;
    t.delims = delims_;
    size_t q = at + open().size();
    std::string_view body;
    size_t after;
    if (q < src_.size() && src_[q] == '{') {
      size_t e = src_.find("}" + close(), q + 1);
      if (e == std::string_view::npos) Fail(at, "unclosed tag '{{{'");
      t.sigil = '{';
      body = src_.substr(q + 1, e - q - 1);
      after = e + 1 + close().size();
    } else if (q < src_.size() && src_[q] == '=') {
      size_t e = src_.find("=" + close(), q + 1);
      if (e == std::string_view::npos) Fail(at, "unclosed set-delimiter tag");
      t.sigil = '=';
      after = e + 1 + close().size();
      t.end = after;
      SetDelimiters(at, src_.substr(q + 1, e - q - 1));
      Push(t);
      CountTagLines(at, after);
      // Later tags use the new pair; this one keeps the old for lambdas.
      return after;
    } else {
      size_t e = src_.find(close(), q);
      if (e == std::string_view::npos) Fail(at, "unclosed tag '" + open() + "'");
      body = src_.substr(q, e - q);
      after = e + close().size();
      std::string_view b = Trim(body);
      if (!b.empty() && std::string_view("#^/><$!&").find(b.front()) != std::string_view::npos) {
        t.sigil = b.front();
        body = b.substr(1);
      }
    }
    t.end = after;
    if (t.sigil != '!') {
      std::string_view name = Trim(body);
      if ((t.sigil == '>' || t.sigil == '<' || t.sigil == '/') && !name.empty() &&
          name.front() == '*') {
        t.dynamic = true;
        name = Trim(name.substr(1));
      }
      if (name.empty()) Fail(at, "empty tag name");
      t.text = name;
    }
    Push(t);
    CountTagLines(at, after);
    return after;
  }

  // Tags may span lines (comments): keep line/column numbers right.
  void CountTagLines(size_t b, size_t e) {
    for (size_t i = b; i < e; ++i) {
      if (src_[i] == '\n') {
        ++line_;
        line_start_ = i + 1;
      }
    }
  }

  void SetDelimiters(size_t at, std::string_view body) {
    body = Trim(body);
    size_t sp = body.find_first_of(" \t\r\n");
    if (sp == std::string_view::npos) {
      Fail(at, "bad delimiter tag: expected two delimiters separated by space");
    }
    std::string_view o = body.substr(0, sp);
    std::string_view c = Trim(body.substr(sp));
    if (c.empty() || c.find_first_of(" \t\r\n") != std::string_view::npos ||
        o.find('=') != std::string_view::npos || c.find('=') != std::string_view::npos) {
      Fail(at, "bad delimiter tag: expected two delimiters without '=' or spaces");
    }
    out_.delims.emplace_back(std::string(o), std::string(c));
    delims_ = static_cast<uint16_t>(out_.delims.size() - 1);
  }

  // A tag clears left/right when every other token on its line is
  // whitespace-only text.
  void ComputeClearance() {
    auto& toks = out_.tokens;
    size_t n_lines = out_.line_first.size();
    for (size_t l = 0; l < n_lines; ++l) {
      size_t b = out_.line_first[l];
      size_t e = l + 1 < n_lines ? out_.line_first[l + 1] : toks.size();
      size_t first = e, last = e;
      for (size_t i = b; i < e; ++i) {
        if (toks[i].is_tag || !toks[i].ws_only) {
          if (first == e) first = i;
          last = i;
        }
      }
      for (size_t i = b; i < e; ++i) {
        if (!toks[i].is_tag) continue;
        toks[i].lclear = i == first;
        toks[i].rclear = i == last;
      }
    }
  }

  std::string_view src_;
  const std::string& name_;
  LexResult out_;
  uint16_t delims_ = 0;
  uint32_t line_ = 1;
  size_t line_start_ = 0;
};

}  // namespace

std::string_view LeadingSpace(std::string_view line_text) {
  size_t n = line_text.find_first_not_of(" \t");
  return n == std::string_view::npos ? line_text.substr(0, line_text.size()) : line_text.substr(0, n);
}

LexResult Lex(std::string_view source, const std::string& template_name,
             std::string_view open, std::string_view close) {
  return Lexer(source, template_name, open, close).Run();
}

}  // namespace spindle::mustache
