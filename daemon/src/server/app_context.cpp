// app_context.cpp: AppContext's out-of-line helpers (<spindle/app.hpp>).
#include <spindle/app.hpp>
#include <spindle/units.hpp>

#include <stdexcept>

namespace spindle {

std::chrono::milliseconds AppContext::config_duration(const std::string& key,
                                                      std::chrono::milliseconds fallback) const {
  if (!config_.is_object() || !config_.contains(key)) return fallback;
  const nlohmann::json& v = config_[key];
  std::string text;
  if (v.is_string()) {
    text = v.get<std::string>();
  } else if (v.is_number()) {
    text = v.is_number_float() ? v.dump() : std::to_string(v.get<int64_t>());
  }
  if (auto d = parse_duration(text)) return *d;
  throw std::invalid_argument(name_ + "." + key + ": expected " + std::string(kDurationForm) +
                              ", got " + v.dump());
}

}  // namespace spindle
