// app.hpp: what an application shared object includes (public app API).
//
// An app is a shared object listed under `apps:` in spindled.yaml. It defines
// an init function and exports it with SPINDLE_APP(init). Each worker process
// calls the hook once, inside a fiber of its scheduler, before it accepts
// connections, so init may use the engine (spawn background fibers, connect to
// Redis or PostgreSQL). Routes registered through the AppContext are prefixed
// with the app's mount point. Handlers run in their own fiber, one per
// request; they may suspend (sleep_for, Redis, PostgreSQL, offload) without
// blocking other requests.
// An exception from init fails the worker's start-up with the message logged.
#pragma once

#include <spindle/channel.hpp>
#include <spindle/deadline.hpp>
#include <spindle/errors.hpp>
#include <spindle/fiber.hpp>
#include <spindle/offload.hpp>
#include <spindle/pg_config.hpp>
#include <spindle/redis_config.hpp>
#include <spindle/request.hpp>
#include <spindle/response.hpp>
#include <spindle/router.hpp>
#include <spindle/sync.hpp>

#include <nlohmann/json.hpp>

#include <chrono>
#include <string>
#include <utility>

namespace spindle {

class AppContext {
 public:
  AppContext(Router& router, std::string name, std::string mount,
             nlohmann::json config, redis::Config redis = {}, bool redis_configured = false,
             pg::Config postgres = {}, bool postgres_configured = false)
      : router_(router), name_(std::move(name)), mount_(std::move(mount)),
        config_(std::move(config)), redis_(std::move(redis)),
        redis_configured_(redis_configured), postgres_(std::move(postgres)),
        postgres_configured_(postgres_configured) {}

  const std::string& name() const { return name_; }
  // The mount prefix without a trailing '/' ("" for the root).
  const std::string& mount() const { return mount_; }
  // The app's own `config:` subtree from spindled.yaml (null when absent).
  const nlohmann::json& config() const { return config_; }
  Router& router() { return router_; }

  // The Redis settings for this app: spindled.yaml's top-level `redis:`
  // section with the keys of the app's own `config.redis` over it (both
  // validated when the file was loaded, with line:column errors); the
  // defaults when neither is there (then redis_configured() is false).
  const redis::Config& redis_config() const { return redis_; }
  bool redis_configured() const { return redis_configured_; }

  // The same for PostgreSQL: spindled.yaml's top-level `postgres:` section
  // with the app's own `config.postgres` keys over it (its conninfo parsed
  // by libpq at load); the defaults when neither is there (then
  // postgres_configured() is false).
  const pg::Config& postgres_config() const { return postgres_; }
  bool postgres_configured() const { return postgres_configured_; }

  // config()[key] read as a duration of spindled.yaml's grammar
  // (<spindle/units.hpp>: "250ms", "25s", a bare number of seconds), or
  // `fallback` when the key is absent; throws std::invalid_argument
  // ("chat.poll_timeout: expected a duration like ...") otherwise.
  std::chrono::milliseconds config_duration(const std::string& key,
                                            std::chrono::milliseconds fallback) const;

  // Register a route below the mount point: `pattern` starts with '/'.
  void route(std::string method, const std::string& pattern, Handler h) {
    router_.add(std::move(method), mount_ + pattern, std::move(h));
  }
  void get(const std::string& p, Handler h) { route("GET", p, std::move(h)); }
  void post(const std::string& p, Handler h) { route("POST", p, std::move(h)); }
  void put(const std::string& p, Handler h) { route("PUT", p, std::move(h)); }
  void del(const std::string& p, Handler h) { route("DELETE", p, std::move(h)); }
  void any(const std::string& p, Handler h) { route("*", p, std::move(h)); }

  // Set by the SPINDLE_APP wrapper when init throws.
  std::string error;

 private:
  Router& router_;
  std::string name_;
  std::string mount_;
  nlohmann::json config_;
  redis::Config redis_;
  bool redis_configured_;
  pg::Config postgres_;
  bool postgres_configured_;
};

// Bumped when the AppContext/Request/Response/HttpError layout changes
// incompatibly (4: HttpError carries an optional JSON body).
inline constexpr int kAppAbiVersion = 4;

}  // namespace spindle

// Exports `init_fn` (void(spindle::AppContext&)) as the app's entry point.
#define SPINDLE_APP(init_fn)                                                 \
  extern "C" __attribute__((visibility("default"))) int                      \
  spindle_app_abi_version() {                                                \
    return ::spindle::kAppAbiVersion;                                        \
  }                                                                          \
  extern "C" __attribute__((visibility("default"))) int spindle_app_init(   \
      ::spindle::AppContext* ctx) {                                          \
    try {                                                                    \
      init_fn(*ctx);                                                         \
      return 0;                                                              \
    } catch (const std::exception& e) {                                      \
      ctx->error = e.what();                                                 \
    } catch (...) {                                                          \
      ctx->error = "unknown exception";                                      \
    }                                                                        \
    return -1;                                                               \
  }
