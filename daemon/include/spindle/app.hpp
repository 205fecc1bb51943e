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
#include <spindle/log.hpp>
#include <spindle/metrics.hpp>
#include <spindle/offload.hpp>
#include <spindle/pg_config.hpp>
#include <spindle/redis_config.hpp>
#include <spindle/request.hpp>
#include <spindle/response.hpp>
#include <spindle/router.hpp>
#include <spindle/sync.hpp>

#include <nlohmann/json.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace spindle {

// Middleware: a hook that runs around an app's handlers (auth checks,
// request IDs, CORS headers, timing). Before hooks run in the order they
// were registered, the app's (AppContext::before) first, then the route's;
// one that answers (res.send(), res.finish(), or anything that sends the
// head) or throws ends the request there: the later before hooks and the
// handler do not run, and an exception is answered as a handler's would be
// (HttpError: its status). After hooks run, in the order registered (the
// route's, then the app's), once the handler returned or a before hook
// answered; an exception from the handler skips them. The head may already
// have gone out then (send() sends it): an after hook reads res.status()
// but can no longer set headers. Hooks may suspend, like handlers.
using Hook = std::function<void(Request&, Response&)>;

namespace detail {
struct HookChain {
  std::vector<Hook> before;
  std::vector<Hook> after;
};
}  // namespace detail

// What AppContext::route() returns: adds hooks to that one route.
//   ctx.get("/admin", Admin).before(RequireLogin);
class RouteHooks {
 public:
  explicit RouteHooks(std::shared_ptr<detail::HookChain> chain) : chain_(std::move(chain)) {}
  RouteHooks& before(Hook h) {
    chain_->before.push_back(std::move(h));
    return *this;
  }
  RouteHooks& after(Hook h) {
    chain_->after.push_back(std::move(h));
    return *this;
  }

 private:
  std::shared_ptr<detail::HookChain> chain_;
};

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
  // A logger whose lines carry the app's name (<spindle/log.hpp>); cheap to
  // copy into handlers.
  Logger logger() const { return Logger(name_); }

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
  // The result adds hooks to this route only.
  RouteHooks route(std::string method, const std::string& pattern, Handler h);
  RouteHooks get(const std::string& p, Handler h) { return route("GET", p, std::move(h)); }
  RouteHooks post(const std::string& p, Handler h) { return route("POST", p, std::move(h)); }
  RouteHooks put(const std::string& p, Handler h) { return route("PUT", p, std::move(h)); }
  RouteHooks del(const std::string& p, Handler h) { return route("DELETE", p, std::move(h)); }
  RouteHooks any(const std::string& p, Handler h) { return route("*", p, std::move(h)); }

  // Hooks for every route of this app, registered before or after this
  // call (see Hook).
  void before(Hook h) { hooks_->before.push_back(std::move(h)); }
  void after(Hook h) { hooks_->after.push_back(std::move(h)); }

  // Runs when the worker stops (after its drain: no request of it is still
  // running), in the worker's fiber, apps in reverse order of `apps:`,
  // hooks of one app in reverse order of registration. May suspend (close
  // a connection, flush a buffer); an exception is logged and the next hook
  // runs. Not run when the worker is killed or crashes.
  void on_shutdown(std::function<void()> fn) { shutdown_.push_back(std::move(fn)); }
  std::vector<std::function<void()>>& shutdown_hooks() { return shutdown_; }

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
  std::shared_ptr<detail::HookChain> hooks_ = std::make_shared<detail::HookChain>();
  std::vector<std::function<void()>> shutdown_;
};

// Bumped when the AppContext/Request/Response/HttpError layout changes
// incompatibly (4: middleware and shutdown hooks in AppContext, the
// request's context and deadline, HttpError's optional JSON body).
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
