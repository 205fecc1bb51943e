// clock.hpp: the two clocks the metrics region stores: CLOCK_MONOTONIC in
// nanoseconds (request start times, shared by every process of the host, so
// any worker can age another's requests) and wall time in Unix milliseconds
// (for the status view). No allocation; any thread.
#pragma once

#include <time.h>

#include <cstdint>

namespace spindle::observe {

inline int64_t MonotonicNs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

inline int64_t UnixMillis() {
  timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

}  // namespace spindle::observe
