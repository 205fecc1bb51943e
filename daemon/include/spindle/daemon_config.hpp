// daemon_config.hpp: parts of spindled.yaml that apps may read besides their
// own `config:` subtree (AppContext::config()): today the `redis:` section,
// so every app connects to the Redis the operator configured.
//
//   if (const auto* rc = spindle::configured_redis()) client = make(*rc);
//
// Set by the master before it forks a generation of workers (a reload sets
// the new value for the new workers only); read it from fibers of a worker,
// e.g. in the app's init hook. Never suspends.
#pragma once

#include <spindle/redis_config.hpp>

namespace spindle {

// The `redis:` section of the configuration this worker was started with, or
// nullptr when the file has none.
const redis::Config* configured_redis() noexcept;

namespace impl {
// For the master: publish the section (nullptr clears it).
void SetConfiguredRedis(const redis::Config* config);
}  // namespace impl

}  // namespace spindle
