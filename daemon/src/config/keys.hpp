// keys.hpp: the key tables of spindled.yaml's own sections (schema.hpp); the
// `redis:` and `postgres:` tables are config/redis_keys.hpp and
// config/postgres_keys.hpp. The loader (config.cpp) reads each
// section through its table; tests hold every table against the struct
// defaults, conf/spindled.yaml and docs/config.md.
// Pure values; no thread or fiber contract.
#pragma once

#include "config/config.hpp"
#include "config/schema.hpp"

namespace spindle::config {

const Section<Config>& TopLevelKeys();         // workers, timeouts, ...; sub-sections skipped
const Section<ListenConfig>& ListenKeys();     // listen: and admin:
const Section<LimitsConfig>& LimitsKeys();     // limits:
const Section<SchedulerConfig>& SchedulerKeys();  // scheduler:
const Section<Config>& LogKeys();              // log: (level, and ObserveConfig's log keys)
const Section<ObserveConfig>& MetricsKeys();   // metrics:

// host:port or [v6]:port into l.host/l.port; returns "" or why not.
std::string ParseHostPort(const std::string& text, ListenConfig& l);

}  // namespace spindle::config
