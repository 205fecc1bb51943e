// LogThrottle: at most one log line per key (a route) per interval for a
// condition that repeats with every request — a backend outage answering
// 503 — and a count of the lines it held back, reported on the next one.
// Without it, Redis or PostgreSQL going down at 10,000 requests/s writes
// 10,000 identical warnings a second.
//
// Thread contract: one per worker thread (thread_local in connection.cpp);
// not locked. Plain logic: the caller passes the time.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>

namespace spindle::server {

class LogThrottle {
 public:
  explicit LogThrottle(std::chrono::steady_clock::duration interval) : interval_(interval) {}

  // True if a line for `key` should be written now; then *suppressed is the
  // number held back since the last one written for it (0 the first time).
  bool Allow(std::string_view key, std::chrono::steady_clock::time_point now,
             uint64_t* suppressed);

 private:
  struct Entry {
    std::chrono::steady_clock::time_point last;
    uint64_t held = 0;
  };
  std::chrono::steady_clock::duration interval_;
  std::unordered_map<std::string, Entry> entries_;
};

}  // namespace spindle::server
