// cookie.cpp: Cookie header parsing and Set-Cookie building
// (<spindle/cookie.hpp>). Parsing is lenient, as RFC 6265 §5 asks of a
// reader (browsers send what scripts stored); building is strict, so that a
// header the app sends is one every browser reads the same way.
// No thread or fiber contract: pure functions.
#include <spindle/cookie.hpp>
#include <spindle/response.hpp>

#include "server/strings.hpp"

#include <cstdio>
#include <ctime>
#include <stdexcept>

namespace spindle {

namespace {

bool IsOws(char c) { return c == ' ' || c == '\t'; }

std::string_view TrimOws(std::string_view s) {
  while (!s.empty() && IsOws(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsOws(s.back())) s.remove_suffix(1);
  return s;
}

// Calls f(name, value) for each well-formed pair of a Cookie header value
// until f returns true; one pass, no allocation.
template <class F>
void ForEachCookie(std::string_view header, F&& f) {
  while (!header.empty()) {
    const size_t semi = header.find(';');
    std::string_view pair = header.substr(0, semi);
    header = semi == std::string_view::npos ? std::string_view() : header.substr(semi + 1);
    const size_t eq = pair.find('=');
    if (eq == std::string_view::npos) continue;  // "foo" alone: not a pair
    std::string_view name = TrimOws(pair.substr(0, eq));
    std::string_view value = TrimOws(pair.substr(eq + 1));
    if (name.empty()) continue;
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
      value = value.substr(1, value.size() - 2);
    }
    if (f(name, value)) return;
  }
}

// A name or value as an error message shows it: printable ASCII as is,
// every other byte as \xNN, so a message never carries a CR or LF.
std::string Printable(std::string_view s) {
  std::string out;
  for (unsigned char c : s) {
    if (c >= 0x20 && c < 0x7f && c != '\\') {
      out += static_cast<char>(c);
    } else {
      char buf[8];
      std::snprintf(buf, sizeof(buf), "\\x%02x", c);
      out += buf;
    }
  }
  return out;
}

[[noreturn]] void Reject(const SetCookie& c, const std::string& why) {
  throw std::invalid_argument("cookie \"" + Printable(c.name) + "\": " + why);
}

bool IsCookieOctet(unsigned char c) {
  return c == 0x21 || (c >= 0x23 && c <= 0x2b) || (c >= 0x2d && c <= 0x3a) ||
         (c >= 0x3c && c <= 0x5b) || (c >= 0x5d && c <= 0x7e);
}

void CheckValue(const SetCookie& c) {
  std::string_view v = c.value;
  if (v.size() >= 2 && v.front() == '"' && v.back() == '"') v = v.substr(1, v.size() - 2);
  for (size_t i = 0; i < v.size(); ++i) {
    if (!IsCookieOctet(static_cast<unsigned char>(v[i]))) {
      Reject(c, "the value has '" + Printable(v.substr(i, 1)) +
                    "', which is not a cookie-octet (no controls, space, '\"', ',', ';', '\\' "
                    "or non-ASCII; encode the value, e.g. base64url)");
    }
  }
}

// RFC 6265 §4.1.1: path-value and domain are <any CHAR except CTLs or ";">.
void CheckAttribute(const SetCookie& c, std::string_view what, std::string_view v) {
  for (unsigned char ch : v) {
    if (ch < 0x20 || ch >= 0x7f || ch == ';') {
      Reject(c, std::string(what) + " \"" + Printable(v) +
                    "\" has a control character, ';' or a non-ASCII byte");
    }
  }
}

void Validate(const SetCookie& c) {
  if (!server::IsHeaderToken(c.name)) {
    Reject(c, "the name is not an HTTP token (letters, digits and !#$%&'*+-.^_`|~)");
  }
  CheckValue(c);
  CheckAttribute(c, "path", c.path);
  CheckAttribute(c, "domain", c.domain);
  if (c.max_age && c.max_age->count() < 0) Reject(c, "max_age is negative");
  if (c.same_site == SameSite::kNone && !c.secure) {
    Reject(c, "SameSite=None requires secure (browsers drop the cookie otherwise)");
  }
  const std::string_view name = c.name;
  if (name.starts_with("__Secure-") && !c.secure) {
    Reject(c, "a __Secure- cookie requires secure");
  }
  if (name.starts_with("__Host-") && (!c.secure || !c.domain.empty() || c.path != "/")) {
    Reject(c, "a __Host- cookie requires secure, path \"/\" and no domain");
  }
}

const char* SameSiteText(SameSite s) {
  switch (s) {
    case SameSite::kLax: return "Lax";
    case SameSite::kStrict: return "Strict";
    case SameSite::kNone: return "None";
    case SameSite::kUnset: break;
  }
  return nullptr;
}

}  // namespace

std::vector<std::pair<std::string_view, std::string_view>> parse_cookie_header(
    std::string_view header_value) {
  std::vector<std::pair<std::string_view, std::string_view>> out;
  ForEachCookie(header_value, [&](std::string_view n, std::string_view v) {
    out.emplace_back(n, v);
    return false;
  });
  return out;
}

std::optional<std::string_view> find_cookie(std::string_view header_value,
                                            std::string_view name) {
  std::optional<std::string_view> found;
  ForEachCookie(header_value, [&](std::string_view n, std::string_view v) {
    if (n != name) return false;
    found = v;
    return true;
  });
  return found;
}

std::optional<std::string_view> cookie(const std::vector<Field>& headers,
                                       std::string_view name) {
  for (const Field& f : headers) {
    if (!server::EqualsIgnoreCase(f.name, "cookie")) continue;
    if (auto v = find_cookie(f.value, name)) return v;
  }
  return std::nullopt;
}

std::optional<std::string_view> cookie(const Request& req, std::string_view name) {
  return cookie(req.headers(), name);
}

std::string http_date(std::chrono::system_clock::time_point t) {
  static constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  const auto secs = std::chrono::floor<std::chrono::seconds>(t.time_since_epoch()).count();
  const std::time_t tt = static_cast<std::time_t>(secs);
  std::tm tm{};
  if (gmtime_r(&tt, &tm) == nullptr || tm.tm_year + 1900 < 1601 || tm.tm_year + 1900 > 9999) {
    throw std::invalid_argument("http date outside the years 1601..9999");
  }
  char buf[40];
  std::snprintf(buf, sizeof(buf), "%s, %02d %s %04d %02d:%02d:%02d GMT", kDays[tm.tm_wday],
                tm.tm_mday, kMonths[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
                tm.tm_sec);
  return buf;
}

std::string format_set_cookie(const SetCookie& c) {
  Validate(c);
  std::string out;
  out.reserve(c.name.size() + c.value.size() + c.path.size() + c.domain.size() + 96);
  out.append(c.name).append("=").append(c.value);
  if (c.expires) out.append("; Expires=").append(http_date(*c.expires));
  if (c.max_age) out.append("; Max-Age=").append(std::to_string(c.max_age->count()));
  if (!c.domain.empty()) out.append("; Domain=").append(c.domain);
  if (!c.path.empty()) out.append("; Path=").append(c.path);
  if (c.secure) out.append("; Secure");
  if (c.http_only) out.append("; HttpOnly");
  if (const char* s = SameSiteText(c.same_site)) out.append("; SameSite=").append(s);
  return out;
}

void set_cookie(Response& res, const SetCookie& cookie) {
  res.add_header("Set-Cookie", format_set_cookie(cookie));
}

SetCookie expired_cookie(std::string_view name, std::string_view path, std::string_view domain) {
  SetCookie c;
  c.name = name;
  c.path = path;
  c.domain = domain;
  c.max_age = std::chrono::seconds(0);
  c.expires = std::chrono::system_clock::time_point();  // the epoch: Thu, 01 Jan 1970
  c.secure = name.starts_with("__Secure-") || name.starts_with("__Host-");
  return c;
}

void delete_cookie(Response& res, std::string_view name, std::string_view path,
                   std::string_view domain) {
  set_cookie(res, expired_cookie(name, path, domain));
}

}  // namespace spindle
