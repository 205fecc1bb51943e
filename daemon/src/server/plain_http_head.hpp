// plain_http_head.hpp: the request-head parser of the admin socket's
// plain-HTTP/1.1 responder (plain_http.cpp frames the head; this validates
// and splits it). Its own unit so that tests/fuzz can drive it directly.
//
// Pure function: no I/O, no allocation, never suspends; the views it fills
// point into `head`.
#pragma once

#include <string_view>

namespace spindle::server {

struct HttpHead {
  std::string_view method, target;
  bool keep_alive = true;
};

// Parses a request head without its final CRLF CRLF: the request line, then
// header lines split on CRLF. Returns 0, or the status to answer before
// closing (400 malformed or a request body announced, 505 an HTTP version
// other than 1.0 / 1.1).
int ParseHttpHead(std::string_view head, HttpHead* out);

}  // namespace spindle::server
