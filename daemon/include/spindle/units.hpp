// units.hpp: the one grammar for durations and sizes in spindled.yaml, in
// every section (the daemon's keys, `redis:`, and what apps read from their
// own `config:`), nginx-like:
//   duration  "250ms", "10s", "2m", "1h", "1.5s"; a bare number means
//             seconds ("30", 30, "0.25"); rounded to whole milliseconds.
//   size      "65536", "64k", "1m", "2g" (k/m/g or K/M/G: powers of 1024).
// Pure functions; no thread or fiber contract.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string_view>

namespace spindle {

// nullopt when `text` is not a duration of the grammar above (or is negative
// or longer than about 35 years).
std::optional<std::chrono::milliseconds> parse_duration(std::string_view text);

// nullopt when `text` is not a size of the grammar above (or exceeds 1 PiB).
std::optional<uint64_t> parse_size(std::string_view text);

// What an error message shows as the expected form.
inline constexpr std::string_view kDurationForm = "a duration like 250ms, 10s or 2m";
inline constexpr std::string_view kSizeForm = "a size like 65536, 64k or 1m";

}  // namespace spindle
