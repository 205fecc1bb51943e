// LatencyHistogram (see latency_histogram.hpp). Plain values.
#include <spindle/latency_histogram.hpp>

#include <cstdint>

namespace spindle {

void LatencyHistogram::Record(uint64_t us) noexcept {
  size_t i = 0;
  while (i < kBoundsUs.size() && us > kBoundsUs[i]) ++i;
  ++counts[i];
  ++count;
  sum_us += us;
}

uint64_t LatencyHistogram::QuantileUpperBoundUs(double q) const noexcept {
  if (count == 0) return 0;
  const double target = q * static_cast<double>(count);
  uint64_t seen = 0;
  for (size_t i = 0; i < counts.size(); ++i) {
    seen += counts[i];
    if (static_cast<double>(seen) >= target) {
      return i < kBoundsUs.size() ? kBoundsUs[i] : UINT64_MAX;
    }
  }
  return UINT64_MAX;
}

}  // namespace spindle
