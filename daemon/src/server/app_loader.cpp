// app_loader.cpp: see app_loader.hpp.
#include "server/app_loader.hpp"

#include <spdlog/spdlog.h>

#include <dlfcn.h>

namespace spindle::server {

std::string LoadApps(const std::vector<config::AppConfig>& apps, std::vector<LoadedApp>& out) {
  for (const auto& cfg : apps) {
    LoadedApp app;
    app.config = cfg;
    app.handle = dlopen(cfg.path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!app.handle) {
      return "app '" + cfg.name + "': cannot load '" + cfg.path + "': " + dlerror();
    }
    auto abi = reinterpret_cast<int (*)()>(dlsym(app.handle, "spindle_app_abi_version"));
    app.init = reinterpret_cast<int (*)(AppContext*)>(dlsym(app.handle, "spindle_app_init"));
    if (!abi || !app.init) {
      return "app '" + cfg.name + "': '" + cfg.path +
             "' does not export spindle_app_init (use SPINDLE_APP)";
    }
    if (abi() != kAppAbiVersion) {
      return "app '" + cfg.name + "': built for app ABI '" + std::to_string(abi()) +
             "', this spindled has '" + std::to_string(kAppAbiVersion) + "'";
    }
    out.push_back(std::move(app));
  }
  return {};
}

std::string InitApps(std::vector<LoadedApp>& apps, Router& router) {
  for (auto& app : apps) {
    AppContext ctx(router, app.config.name, app.config.mount, app.config.config, app.config.redis,
                   app.config.redis_configured, app.config.postgres,
                   app.config.postgres_configured);
    if (!app.config.mount.empty()) router.add_mount(app.config.mount);
    size_t before = router.size();
    if (app.init(&ctx) != 0) {
      return "app '" + app.config.name + "': init failed: " + ctx.error;
    }
    app.shutdown_hooks = std::move(ctx.shutdown_hooks());
    spdlog::debug("app '{}' mounted at '{}' with '{}' routes", app.config.name,
                  app.config.mount.empty() ? "/" : app.config.mount, router.size() - before);
  }
  return {};
}

void RunShutdownHooks(std::vector<LoadedApp>& apps) {
  for (auto app = apps.rbegin(); app != apps.rend(); ++app) {
    auto& hooks = app->shutdown_hooks;
    for (auto hook = hooks.rbegin(); hook != hooks.rend(); ++hook) {
      try {
        (*hook)();
      } catch (const std::exception& e) {
        spdlog::error("app '{}': shutdown hook failed: '{}'", app->config.name, e.what());
      } catch (...) {
        spdlog::error("app '{}': shutdown hook failed: unknown exception", app->config.name);
      }
    }
    hooks.clear();
  }
}

}  // namespace spindle::server
