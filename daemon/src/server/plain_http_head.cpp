// plain_http_head.cpp: see plain_http_head.hpp.
#include "server/plain_http_head.hpp"

#include "server/strings.hpp"

namespace spindle::server {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool IsTarget(std::string_view s) {
  if (s.empty() || s.front() != '/') return false;
  for (char c : s) {
    if (static_cast<unsigned char>(c) <= ' ' || c == 127) return false;
  }
  return true;
}

}  // namespace

int ParseHttpHead(std::string_view head, HttpHead* out) {
  size_t eol = head.find("\r\n");
  std::string_view line = head.substr(0, eol);
  size_t sp1 = line.find(' ');
  size_t sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos || line.find(' ', sp2 + 1) != std::string_view::npos) return 400;
  out->method = line.substr(0, sp1);
  out->target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  std::string_view version = line.substr(sp2 + 1);
  if (!IsHeaderToken(out->method) || out->method.size() > 16 || !IsTarget(out->target)) return 400;
  if (version == "HTTP/1.1") out->keep_alive = true;
  else if (version == "HTTP/1.0") out->keep_alive = false;
  else if (version.substr(0, 5) == "HTTP/") return 505;
  else return 400;
  std::string_view rest = eol == std::string_view::npos ? std::string_view() : head.substr(eol + 2);
  while (!rest.empty()) {
    eol = rest.find("\r\n");
    line = rest.substr(0, eol);
    rest = eol == std::string_view::npos ? std::string_view() : rest.substr(eol + 2);
    size_t colon = line.find(':');
    if (colon == std::string_view::npos || !IsHeaderToken(line.substr(0, colon))) return 400;
    std::string_view name = line.substr(0, colon);
    std::string_view value = Trim(line.substr(colon + 1));
    if (EqualsIgnoreCase(name, "connection")) {
      if (EqualsIgnoreCase(value, "close")) out->keep_alive = false;
      else if (EqualsIgnoreCase(value, "keep-alive")) out->keep_alive = true;
    } else if (EqualsIgnoreCase(name, "transfer-encoding")) {
      return 400;  // no request bodies here
    } else if (EqualsIgnoreCase(name, "content-length") && value != "0") {
      return 400;
    }
  }
  return 0;
}

}  // namespace spindle::server
