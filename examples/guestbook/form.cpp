// form.cpp: form parsing and entry validation (see form.hpp).
#include "form.hpp"

#include <spindle/request.hpp>

namespace guestbook {
namespace {

std::string_view Trim(std::string_view s) {
  const char* kSpace = " \t\r\n";
  size_t b = s.find_first_not_of(kSpace);
  if (b == std::string_view::npos) return {};
  size_t e = s.find_last_not_of(kSpace);
  return s.substr(b, e - b + 1);
}

// Counts code points; nullopt when `s` is not valid UTF-8 (overlong forms
// and surrogates included).
std::optional<size_t> Utf8Length(std::string_view s) {
  size_t n = 0;
  for (size_t i = 0; i < s.size(); ++n) {
    auto c = static_cast<unsigned char>(s[i]);
    size_t len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (len == 0 || i + len > s.size()) return std::nullopt;
    unsigned cp = len == 1 ? c : c & (0x7f >> len);
    for (size_t k = 1; k < len; ++k) {
      auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc >> 6) != 2) return std::nullopt;
      cp = (cp << 6) | (cc & 0x3f);
    }
    static const unsigned kMin[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < kMin[len] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return std::nullopt;
    i += len;
  }
  return n;
}

const std::string* Field(const std::vector<std::pair<std::string, std::string>>& form,
                         std::string_view name) {
  for (const auto& [k, v] : form) {
    if (k == name) return &v;
  }
  return nullptr;
}

bool CheckText(const std::string* raw, std::string_view what, size_t max_chars,
               bool single_line, std::string& out, std::string& error) {
  if (raw == nullptr) {
    error = std::string(what) + " is missing";
    return false;
  }
  out = std::string(Trim(*raw));
  std::optional<size_t> chars = Utf8Length(out);
  if (!chars) {
    error = std::string(what) + " is not valid UTF-8";
  } else if (*chars == 0) {
    error = std::string(what) + " is empty";
  } else if (*chars > max_chars) {
    error = std::string(what) + " is longer than " + std::to_string(max_chars) + " characters";
  } else {
    for (unsigned char c : out) {
      bool allowed = !single_line && (c == '\n' || c == '\r' || c == '\t');
      if ((c < 0x20 || c == 0x7f) && !allowed) {
        error = std::string(what) + " contains control characters";
        return false;
      }
    }
    return true;
  }
  return false;
}

}  // namespace

std::vector<std::pair<std::string, std::string>> ParseForm(std::string_view body) {
  std::vector<std::pair<std::string, std::string>> out;
  while (!body.empty()) {
    size_t amp = body.find('&');
    std::string_view pair = body.substr(0, amp);
    body = amp == std::string_view::npos ? std::string_view() : body.substr(amp + 1);
    if (pair.empty()) continue;
    size_t eq = pair.find('=');
    std::string_view name = pair.substr(0, eq);
    std::string_view value = eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1);
    out.emplace_back(spindle::UrlDecode(name, true), spindle::UrlDecode(value, true));
  }
  return out;
}

std::optional<NewEntry> ValidateEntry(
    const std::vector<std::pair<std::string, std::string>>& form, std::string& error) {
  NewEntry e;
  if (!CheckText(Field(form, "name"), "name", kMaxNameChars, true, e.name, error)) {
    return std::nullopt;
  }
  if (!CheckText(Field(form, "message"), "message", kMaxMessageChars, false, e.message, error)) {
    return std::nullopt;
  }
  return e;
}

}  // namespace guestbook
