// LatencyHistogram: call latency in fixed buckets, shared by the Redis and
// PostgreSQL clients' Stats (redis_stats.hpp, pg_stats.hpp) and read by the
// metrics exporter and tests.
//
// No thread or fiber contract: a plain value (Stats hand out copies).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

namespace spindle {

// Prometheus-style cumulative-ready buckets: counts[i] holds the samples in
// (bound[i-1], bound[i]] microseconds; the last slot is +Inf.
struct LatencyHistogram {
  static constexpr std::array<uint32_t, 14> kBoundsUs = {
      50, 100, 250, 500, 1000, 2500, 5000, 10000, 25000, 50000,
      100000, 250000, 500000, 1000000};
  std::array<uint64_t, kBoundsUs.size() + 1> counts{};
  uint64_t count = 0;
  uint64_t sum_us = 0;

  void Record(uint64_t us) noexcept;
  // Upper bucket bound (us) under which a fraction q of samples fall; 0 when
  // empty; UINT64_MAX when it is in the +Inf bucket.
  uint64_t QuantileUpperBoundUs(double q) const noexcept;
};

}  // namespace spindle
