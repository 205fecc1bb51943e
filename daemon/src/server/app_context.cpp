// app_context.cpp: AppContext's out-of-line helpers (<spindle/app.hpp>).
#include <spindle/app.hpp>
#include <spindle/units.hpp>

#include "server/json_duration.hpp"

#include <stdexcept>

namespace spindle {
namespace {

// True when a before hook answered: the head went out, or it finished.
bool Answered(const Response& res) { return res.head_sent() || res.finished(); }

void RunHooked(const detail::HookChain& app, const detail::HookChain& own, const Handler& h,
               Request& req, Response& res) {
  bool answered = false;
  for (const detail::HookChain* chain : {&app, &own}) {
    for (const Hook& hook : chain->before) {
      hook(req, res);
      if ((answered = Answered(res))) break;
    }
    if (answered) break;
  }
  if (!answered) h(req, res);
  for (const detail::HookChain* chain : {&own, &app}) {
    for (const Hook& hook : chain->after) hook(req, res);
  }
}

}  // namespace

RouteHooks AppContext::route(std::string method, const std::string& pattern, Handler h) {
  auto own = std::make_shared<detail::HookChain>();
  router_.add(std::move(method), mount_ + pattern,
              [app = hooks_, own, h = std::move(h)](Request& req, Response& res) {
                if (app->before.empty() && app->after.empty() && own->before.empty() &&
                    own->after.empty()) {
                  return h(req, res);
                }
                RunHooked(*app, *own, h, req, res);
              });
  return RouteHooks(own);
}

std::chrono::milliseconds AppContext::config_duration(const std::string& key,
                                                      std::chrono::milliseconds fallback) const {
  if (!config_.is_object() || !config_.contains(key)) return fallback;
  const nlohmann::json& v = config_[key];
  if (auto d = server::DurationFromJson(v)) return *d;
  throw std::invalid_argument(name_ + "." + key + ": expected " + std::string(kDurationForm) +
                              ", got " + v.dump());
}

}  // namespace spindle
