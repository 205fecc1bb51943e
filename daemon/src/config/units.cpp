// units.cpp: see <spindle/units.hpp>.
#include <spindle/units.hpp>

#include <cctype>
#include <charconv>
#include <cmath>
#include <string>

namespace spindle {

std::optional<std::chrono::milliseconds> parse_duration(std::string_view text) {
  size_t digits = 0;
  bool dot = false;
  while (digits < text.size() &&
         (std::isdigit(static_cast<unsigned char>(text[digits])) || (text[digits] == '.' && !dot))) {
    dot = dot || text[digits] == '.';
    ++digits;
  }
  std::string number(text.substr(0, digits));
  if (number.empty() || number == "." || number.back() == '.' || number.front() == '.') {
    return std::nullopt;
  }
  double value = 0;
  auto [end, ec] = std::from_chars(number.data(), number.data() + number.size(), value);
  if (ec != std::errc() || end != number.data() + number.size()) return std::nullopt;
  std::string_view unit = text.substr(digits);
  double scale;
  if (unit.empty() || unit == "s") {
    scale = 1000;
  } else if (unit == "ms") {
    scale = 1;
  } else if (unit == "m") {
    scale = 60.0 * 1000;
  } else if (unit == "h") {
    scale = 3600.0 * 1000;
  } else {
    return std::nullopt;
  }
  double ms = std::round(value * scale);
  if (ms > static_cast<double>(1ull << 40)) return std::nullopt;
  return std::chrono::milliseconds(static_cast<int64_t>(ms));
}

std::optional<uint64_t> parse_size(std::string_view text) {
  uint64_t v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end == text.data()) return std::nullopt;
  std::string_view unit(end, static_cast<size_t>(text.data() + text.size() - end));
  int shift;
  if (unit.empty()) {
    shift = 0;
  } else if (unit == "k" || unit == "K") {
    shift = 10;
  } else if (unit == "m" || unit == "M") {
    shift = 20;
  } else if (unit == "g" || unit == "G") {
    shift = 30;
  } else {
    return std::nullopt;
  }
  if (v > ((1ull << 50) >> shift)) return std::nullopt;
  return v << shift;
}

}  // namespace spindle
