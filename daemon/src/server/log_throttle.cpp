// LogThrottle (see log_throttle.hpp).
#include "server/log_throttle.hpp"

namespace spindle::server {

bool LogThrottle::Allow(std::string_view key, std::chrono::steady_clock::time_point now,
                        uint64_t* suppressed) {
  auto it = entries_.find(std::string(key));
  if (it == entries_.end()) {
    entries_.emplace(std::string(key), Entry{now, 0});
    *suppressed = 0;
    return true;
  }
  Entry& e = it->second;
  if (now - e.last < interval_) {
    ++e.held;
    return false;
  }
  *suppressed = e.held;
  e.held = 0;
  e.last = now;
  return true;
}

}  // namespace spindle::server
