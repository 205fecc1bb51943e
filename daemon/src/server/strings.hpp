// strings.hpp: small allocation-free string helpers shared by the server's
// request, response, router and plain-HTTP code and the app toolkit's
// parsers (daemon/src/app), and the one table of HTTP reason phrases. Pure
// functions.
#pragma once

#include <cstddef>
#include <string_view>

namespace spindle::server {

inline char AsciiLower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

inline bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (AsciiLower(a[i]) != AsciiLower(b[i])) return false;
  }
  return true;
}

// The value of a hex digit, -1 for any other character.
inline int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// The reason phrase of every status the server itself answers with.
inline const char* ReasonPhrase(int status) {
  switch (status) {
    case 200: return "OK";
    case 301: return "Moved Permanently";
    case 308: return "Permanent Redirect";
    case 400: return "Bad Request";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 413: return "Payload Too Large";
    case 414: return "URI Too Long";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    case 505: return "HTTP Version Not Supported";
    default: return "Error";
  }
}

// One tchar of RFC 9110 (the characters of a token).
inline bool IsTokenChar(char c) {
  const bool alnum = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
  return alnum || std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

// An HTTP token (RFC 9110 tchar+): what a header name must be.
inline bool IsHeaderToken(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!IsTokenChar(c)) return false;
  }
  return true;
}

// True for a path nginx's URI normalisation can produce: absolute, no NUL,
// and no "." or ".." segment left. The router relies on it: a segment it
// matches is a segment nginx's location matched.
inline bool IsNormalisedPath(std::string_view path) {
  if (path.empty() || path[0] != '/') return false;
  if (path.find('\0') != std::string_view::npos) return false;
  size_t pos = 1;
  for (;;) {
    size_t end = path.find('/', pos);
    std::string_view seg = path.substr(pos, end == std::string_view::npos ? end : end - pos);
    if (seg == "." || seg == "..") return false;
    if (end == std::string_view::npos) return true;
    pos = end + 1;
  }
}

}  // namespace spindle::server
