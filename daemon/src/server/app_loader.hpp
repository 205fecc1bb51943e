// app_loader.hpp: apps are shared objects exporting spindle_app_init (see
// <spindle/app.hpp>). The master dlopen()s them at start-up (a bad path or a
// missing symbol fails the start, and --check-config); each worker then calls
// every init hook inside its scheduler to register routes on its router,
// keeps the shutdown hooks the apps registered, and runs them when it stops.
#pragma once

#include <spindle/app.hpp>

#include "config/config.hpp"

#include <string>
#include <vector>

namespace spindle::server {

struct LoadedApp {
  config::AppConfig config;
  void* handle = nullptr;
  int (*init)(AppContext*) = nullptr;
  // AppContext::on_shutdown hooks of this worker's init (a worker's copy).
  std::vector<std::function<void()>> shutdown_hooks;
};

// Returns an error message, empty on success.
std::string LoadApps(const std::vector<config::AppConfig>& apps, std::vector<LoadedApp>& out);
// Runs every init hook (in a fiber); returns an error message, empty on success.
std::string InitApps(std::vector<LoadedApp>& apps, Router& router);
// Runs the shutdown hooks: apps in reverse order, each app's hooks in
// reverse order of registration; an exception is logged. May suspend.
void RunShutdownHooks(std::vector<LoadedApp>& apps);

}  // namespace spindle::server
