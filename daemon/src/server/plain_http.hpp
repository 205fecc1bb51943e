// plain_http.hpp: the admin socket's tiny plain-HTTP/1.1 responder, so curl
// and a Prometheus scraper can read /metrics without nginx. GET and HEAD
// only, no request bodies, Content-Length framing, keep-alive (1.1 by
// default, 1.0 on request). Spindle frames on the same socket are served by
// the normal Connection (connection.hpp hands a connection over here when
// its first byte is an HTTP method's capital letter).
//
// Fiber contract: runs in the connection's reader fiber; every read and
// write may suspend and is bounded by the config's idle_timeout; a
// cancelled fiber ends the connection.
#pragma once

#include "config/config.hpp"

#include <functional>
#include <string>
#include <string_view>

namespace spindle::server {

struct PlainHttpReply {
  int status = 200;
  std::string content_type;
  std::string body;   // sent for GET; HEAD sends its length only
  std::string allow;  // the Allow header, for 405
};

// Answers one request; `target` is the request target with its query.
using PlainHttpAnswer = std::function<PlainHttpReply(std::string_view method,
                                                     std::string_view target)>;

// Serves requests on `fd` (`buffered`: the bytes already read from it)
// until the peer closes, a request is malformed (400, 431 over
// limits.max_head_size, 505; then closed) or idle_timeout passes. Does not
// close `fd`.
void ServePlainHttp(int fd, std::string_view buffered, const config::Config& cfg,
                    const PlainHttpAnswer& answer);

}  // namespace spindle::server
