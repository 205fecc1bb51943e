// admin_client.hpp: a one-shot HTTP/1.0 GET over a unix socket, for reading
// spindled's admin socket (/metrics, /status) directly, the way
// `curl --unix-socket` would.
//
// Thread contract: blocking, for test threads; every wait is bounded by
// `timeout`; failures throw std::runtime_error.
#pragma once

#include <chrono>
#include <string>

namespace spindle::test {

struct AdminReply {
  int status = 0;
  std::string head;  // status line and headers
  std::string body;
};

AdminReply AdminGet(const std::string& socket_path, const std::string& target,
                    std::chrono::milliseconds timeout = std::chrono::seconds(10));

}  // namespace spindle::test
