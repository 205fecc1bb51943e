// Parameter encoding that is not inline (see pg_params.hpp).
#include <spindle/pg_params.hpp>

#include <cmath>
#include <cstdio>
#include <ctime>

namespace spindle::pg::detail {

void EncodeText(Param& p, std::string_view text) {
  p.owned.assign(text);
  p.value = p.owned.c_str();
  p.length = static_cast<int>(p.owned.size());
}

void EncodeDouble(Param& p, double v) {
  if (std::isnan(v)) {
    p.value = "NaN";
  } else if (std::isinf(v)) {
    p.value = v > 0 ? "Infinity" : "-Infinity";
  } else {
    auto r = std::to_chars(p.buf, p.buf + sizeof(p.buf) - 1, v);  // shortest round-trip form
    *r.ptr = '\0';
    p.value = p.buf;
    p.length = static_cast<int>(r.ptr - p.buf);
  }
}

void EncodeTimestamp(Param& p, Timestamp t) {
  using namespace std::chrono;
  const auto days = floor<std::chrono::days>(t);
  const year_month_day ymd{days};
  auto us = (t - days).count();
  const long long secs = us / 1000000;
  us %= 1000000;
  char buf[64];
  const int n = std::snprintf(buf, sizeof(buf), "%04d-%02u-%02u %02lld:%02lld:%02lld.%06lld+00",
                              static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()),
                              static_cast<unsigned>(ymd.day()), secs / 3600, (secs / 60) % 60,
                              secs % 60, static_cast<long long>(us));
  p.owned.assign(buf, static_cast<size_t>(n));
  p.value = p.owned.c_str();
  p.length = n;
}

void EncodeJson(Param& p, const nlohmann::json& j) {
  p.owned = j.dump();
  p.value = p.owned.c_str();
  p.length = static_cast<int>(p.owned.size());
}

}  // namespace spindle::pg::detail
