// daemon_config.cpp: see <spindle/daemon_config.hpp>. A process-wide value
// written by the single-threaded master before fork(), read by the worker.
#include <spindle/daemon_config.hpp>

#include <optional>

namespace spindle {
namespace {
std::optional<redis::Config> g_redis;
}

const redis::Config* configured_redis() noexcept { return g_redis ? &*g_redis : nullptr; }

namespace impl {
void SetConfiguredRedis(const redis::Config* config) {
  if (config) {
    g_redis = *config;
  } else {
    g_redis.reset();
  }
}
}  // namespace impl

}  // namespace spindle
