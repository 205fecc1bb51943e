// Reconnect back-off for the clients (Redis, PostgreSQL): exponential from
// config.reconnect_min, capped at reconnect_max, with jitter so that many
// workers that lost their server together do not come back in lock-step.
// Any config with reconnect_min/max (milliseconds) and reconnect_jitter will
// do. Plain function; no fiber contract.
#pragma once

#include <algorithm>
#include <chrono>
#include <random>

namespace spindle::engine {

template <class Config>
std::chrono::milliseconds BackoffDelay(const Config& c, int attempt, std::mt19937& rng) {
  double ms = static_cast<double>(c.reconnect_min.count());
  for (int i = 0; i < attempt && ms < static_cast<double>(c.reconnect_max.count()); ++i) ms *= 2;
  ms = std::min(ms, static_cast<double>(c.reconnect_max.count()));
  std::uniform_real_distribution<double> cut(0.0, c.reconnect_jitter);
  ms *= 1.0 - cut(rng);
  return std::chrono::milliseconds(std::max<long long>(1, static_cast<long long>(ms)));
}

}  // namespace spindle::engine
