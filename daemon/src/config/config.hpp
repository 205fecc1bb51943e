// config.hpp: spindled's configuration (spindled.yaml) as a typed struct, and
// the loader that validates it.
//
// The loader is strict: an unknown key, a wrong type or an out-of-range value
// is an error naming the file, line, column and key path, e.g.
//   spindled.yaml:4:9: key 'listen.mode': expected an octal mode like "0660"
// Sections are nested maps (listen, limits, log, apps) so later issues can
// add keys without reshaping the file. Each section is read through its key
// table (keys.hpp, config/redis_keys.hpp, config/postgres_keys.hpp);
// durations and sizes follow the one grammar of <spindle/units.hpp>
// ("250ms", "10s", "2m"; a bare number means seconds; "64k", "1m").
// Pure functions; no threads, no fibers.
#pragma once

#include <spindle/pg_config.hpp>
#include <spindle/redis_config.hpp>

#include "config/schema.hpp"

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace spindle::config {

struct ListenConfig {
  // Exactly one of `path` (unix socket) or `host`+`port` (TCP) is set.
  std::string path;
  std::string host;
  uint16_t port = 0;
  unsigned mode = 0660;  // unix socket file mode
  std::string owner;     // unix socket owner (user name or uid), optional
  std::string group;     // unix socket group (group name or gid), optional
  int backlog = 16384;   // net.core.somaxconn caps it (4096 on Debian 12)
  bool allow_remote = false;  // a non-loopback TCP address is refused unless set

  bool is_unix() const { return !path.empty(); }
  std::string Describe() const;
  bool operator==(const ListenConfig&) const = default;
};

struct LimitsConfig {
  uint32_t max_head_size = 64 * 1024;     // REQUEST_HEAD payload bytes
  uint32_t max_headers = 256;             // headers (and params) per request
  uint32_t max_uri_length = 8 * 1024;     // raw URI with query (414 beyond)
  uint64_t max_body_size = 100ull << 20;  // request body bytes (413 beyond)
  // RESPONSE_HEAD frame bytes an app may send (500 beyond): the module's
  // spindle_buffer_size (one 4k page by default) must hold the whole frame.
  uint32_t max_response_head_size = 4 * 1024;
  bool operator==(const LimitsConfig&) const = default;
};

// The fiber scheduler's throughput/latency knobs (per worker).
struct SchedulerConfig {
  size_t max_ready_per_poll = 64;  // ready fibers run between two reactor polls
  size_t accept_batch = 64;        // connections one accept wake-up takes
  bool operator==(const SchedulerConfig&) const = default;
};

// Observability (daemon/src/observe, docs/observability.md): log format and
// destination, the access log, the shared metrics region and the admin
// listener that serves /metrics and /status.
struct ObserveConfig {
  std::string log_format = "journal";  // journal | logfmt | json
  std::string log_file;                // optional: also append to this file
  std::string access_log = "debug";    // off | debug | info (on = info)
  bool metrics = true;                 // the shared metrics region
  unsigned max_routes = 256;           // route labels the region can hold
  unsigned max_app_metrics = 64;       // apps' own metrics (<spindle/metrics.hpp>)
  std::optional<ListenConfig> admin;   // unix path or loopback host:port
  bool operator==(const ObserveConfig&) const = default;
};

struct AppConfig {
  std::string name;
  std::string path;   // absolute path of the .so (relative ones resolved
                      // against the config file's directory)
  std::string mount;  // "" for the root, else "/prefix" (no trailing '/')
  nlohmann::json config;  // the app's own subtree (null when absent)
  // The top-level `redis:` section with the app's `config.redis` keys over
  // it (AppContext::redis_config()); defaults when neither is there.
  redis::Config redis;
  bool redis_configured = false;  // either of the two is in the file
  // The same for `postgres:` and `config.postgres`
  // (AppContext::postgres_config()).
  pg::Config postgres;
  bool postgres_configured = false;
  bool operator==(const AppConfig&) const = default;
};

struct Config {
  std::string file;  // where it was loaded from
  ListenConfig listen;
  unsigned workers = 0;  // 0 = one per online core
  size_t stack_size = 64 * 1024;
  // Fibers (stacks) per worker at once; 0: no cap. Beyond it a new
  // connection is closed and a new request answered 503.
  size_t max_fibers = 65536;
  // Defaults equal conf/spindled.yaml's values (docs/config.md).
  size_t max_connections = 16384;  // per worker
  size_t max_inflight = 10000;     // running handlers per worker
  std::chrono::milliseconds queue_timeout{30000};
  std::chrono::milliseconds request_timeout{0};  // 0 = none
  std::chrono::milliseconds idle_timeout{75000};
  std::chrono::milliseconds drain_timeout{30000};
  std::string log_level = "info";
  ObserveConfig observe;  // log format/file/access_log, metrics:, admin:
  LimitsConfig limits;
  SchedulerConfig scheduler;
  size_t offload_threads = 2;                        // per worker
  std::chrono::milliseconds watchdog_threshold{50};  // 0 = watchdog off
  std::optional<redis::Config> redis;                // the `redis:` section
  std::optional<pg::Config> postgres;                // the `postgres:` section
  std::vector<AppConfig> apps;

  unsigned EffectiveWorkers() const;
  bool operator==(const Config&) const = default;
};

struct LoadResult {
  std::optional<Config> config;
  std::string error;             // set when config is empty: failure->ToString()
  std::optional<Error> failure;  // the same, structured (no mark for YAML syntax errors
                                 // yaml-cpp cannot place)
};

// Loads and validates a file.
LoadResult LoadFile(const std::string& path);
// Same for YAML text; `name` stands for the file in error messages and
// `base_dir` resolves relative app paths.
LoadResult LoadString(const std::string& text, const std::string& name,
                      const std::string& base_dir);

}  // namespace spindle::config
