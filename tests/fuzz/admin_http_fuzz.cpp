// admin_http_fuzz.cpp: fuzzes the admin socket's plain-HTTP request-head
// parser (daemon/src/server/plain_http_head.cpp, ParseHttpHead) with arbitrary
// bytes as the head. Property: the answer is 0, 400 or 505; an accepted head
// is re-checked by an independent reading of the same rules: request line
// "METHOD SP /target SP HTTP/1.x" (method a token of at most 16 bytes,
// target without controls or spaces), header lines "token:value" split on
// CRLF, no Transfer-Encoding, Content-Length only "0", and keep-alive from
// the version and the last Connection: close / keep-alive. The views point
// into the input.
#include "server/plain_http_head.hpp"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "fuzz_check.h"

namespace {

bool IsTchar(unsigned char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         std::string_view("!#$%&'*+-.^_`|~").find(static_cast<char>(c)) != std::string_view::npos;
}

bool IsToken(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!IsTchar(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

std::string_view Lower(std::string_view s, char* buf, size_t cap) {
  if (s.size() > cap) return {};
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    buf[i] = (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c;
  }
  return {buf, s.size()};
}

std::string_view Trim(std::string_view s) {
  size_t b = s.find_first_not_of(" \t");
  if (b == std::string_view::npos) return {};
  size_t e = s.find_last_not_of(" \t");
  return s.substr(b, e - b + 1);
}

bool Within(std::string_view part, std::string_view whole) {
  return part.data() >= whole.data() && part.data() + part.size() <= whole.data() + whole.size();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view head(reinterpret_cast<const char*>(data), size);
  spindle::server::HttpHead h;
  int status = spindle::server::ParseHttpHead(head, &h);
  CHECK(status == 0 || status == 400 || status == 505);
  if (status != 0) return 0;

  CHECK(Within(h.method, head) && Within(h.target, head));
  CHECK(IsToken(h.method) && h.method.size() <= 16);
  CHECK(!h.target.empty() && h.target[0] == '/');
  for (char c : h.target) CHECK(static_cast<unsigned char>(c) > ' ' && c != 127);

  size_t eol = head.find("\r\n");
  std::string_view line = head.substr(0, eol);
  CHECK(line.size() == h.method.size() + h.target.size() + 10);
  CHECK(line.substr(0, h.method.size()) == h.method);
  CHECK(line[h.method.size()] == ' ');
  CHECK(line.substr(h.method.size() + 1, h.target.size()) == h.target);
  std::string_view version = line.substr(line.size() - 9);
  CHECK(version == " HTTP/1.1" || version == " HTTP/1.0");
  bool keep_alive = version == " HTTP/1.1";

  std::string_view rest = eol == std::string_view::npos ? std::string_view() : head.substr(eol + 2);
  char lname[32], lvalue[32];
  while (!rest.empty()) {
    eol = rest.find("\r\n");
    line = rest.substr(0, eol);
    rest = eol == std::string_view::npos ? std::string_view() : rest.substr(eol + 2);
    size_t colon = line.find(':');
    CHECK(colon != std::string_view::npos && IsToken(line.substr(0, colon)));
    std::string_view name = Lower(line.substr(0, colon), lname, sizeof lname);
    std::string_view value = Lower(Trim(line.substr(colon + 1)), lvalue, sizeof lvalue);
    CHECK(name != "transfer-encoding");
    if (name == "content-length") CHECK(Trim(line.substr(colon + 1)) == "0");
    if (name == "connection" && value == "close") keep_alive = false;
    if (name == "connection" && value == "keep-alive") keep_alive = true;
  }
  CHECK(h.keep_alive == keep_alive);
  return 0;
}
