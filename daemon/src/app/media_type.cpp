// media_type.cpp: see media_type.hpp.
// No thread or fiber contract: pure functions.
#include "app/media_type.hpp"

#include "server/strings.hpp"

namespace spindle::app {
namespace {

std::string LowerCopy(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = server::AsciiLower(c);
  return out;
}

bool IsOws(char c) { return c == ' ' || c == '\t'; }

void SkipOws(std::string_view s, size_t& i) {
  while (i < s.size() && IsOws(s[i])) ++i;
}

size_t TokenEnd(std::string_view s, size_t i) {
  while (i < s.size() && server::IsTokenChar(s[i])) ++i;
  return i;
}

// An unquoted parameter value. Lenient past RFC 9110's token: clients send
// boundaries such as "a=b/c" unquoted, so every visible byte but ';', ','
// and '"' is taken.
size_t BareValueEnd(std::string_view s, size_t i) {
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c <= 0x20 || c == 0x7f || c == ';' || c == ',' || c == '"') break;
    ++i;
  }
  return i;
}

// `s` from `i` on: *( OWS ";" OWS name "=" value ) OWS, end of string.
bool ParseParams(std::string_view s, size_t i, Parameters& out) {
  for (;;) {
    SkipOws(s, i);
    if (i == s.size()) return true;
    if (s[i] != ';') return false;
    ++i;
    SkipOws(s, i);
    if (i == s.size()) return true;  // a trailing ';'
    size_t name_end = TokenEnd(s, i);
    if (name_end == i || name_end == s.size() || s[name_end] != '=') return false;
    std::string name = LowerCopy(s.substr(i, name_end - i));
    i = name_end + 1;
    std::string value;
    if (i < s.size() && s[i] == '"') {
      size_t used = 0;
      std::optional<std::string> q = ReadQuotedString(s.substr(i), used);
      if (!q) return false;
      value = std::move(*q);
      i += used;
    } else {
      size_t end = BareValueEnd(s, i);
      if (end == i) return false;
      value.assign(s.substr(i, end - i));
      i = end;
    }
    out.emplace_back(std::move(name), std::move(value));
  }
}

}  // namespace

const std::string* MediaType::param(std::string_view name) const {
  for (const auto& [k, v] : params) {
    if (k == name) return &v;
  }
  return nullptr;
}

bool IsToken(std::string_view s) {
  return !s.empty() && TokenEnd(s, 0) == s.size();
}

std::optional<std::string> ReadQuotedString(std::string_view in, size_t& used) {
  if (in.empty() || in[0] != '"') return std::nullopt;
  std::string out;
  for (size_t i = 1; i < in.size(); ++i) {
    const char c = in[i];
    if (c == '"') {
      used = i + 1;
      return out;
    }
    if (c == '\\' && i + 1 < in.size() && (in[i + 1] == '"' || in[i + 1] == '\\')) {
      out.push_back(in[++i]);
      continue;
    }
    // CR, LF and NUL cannot be in a header value; other controls (a tab)
    // are kept.
    if (c == '\r' || c == '\n' || c == '\0') return std::nullopt;
    out.push_back(c);
  }
  return std::nullopt;  // unterminated
}

std::optional<MediaType> ParseMediaType(std::string_view value) {
  size_t i = 0;
  SkipOws(value, i);
  size_t type_end = TokenEnd(value, i);
  if (type_end == i || type_end == value.size() || value[type_end] != '/') return std::nullopt;
  size_t sub_end = TokenEnd(value, type_end + 1);
  if (sub_end == type_end + 1) return std::nullopt;
  MediaType mt;
  mt.type = LowerCopy(value.substr(i, type_end - i));
  mt.subtype = LowerCopy(value.substr(type_end + 1, sub_end - type_end - 1));
  if (!ParseParams(value, sub_end, mt.params)) return std::nullopt;
  return mt;
}

std::optional<std::string> ParseDisposition(std::string_view value, Parameters& params) {
  size_t i = 0;
  SkipOws(value, i);
  size_t end = TokenEnd(value, i);
  if (end == i) return std::nullopt;
  if (!ParseParams(value, end, params)) return std::nullopt;
  return LowerCopy(value.substr(i, end - i));
}

}  // namespace spindle::app
