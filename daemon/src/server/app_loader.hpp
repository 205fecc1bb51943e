// app_loader.hpp: apps are shared objects exporting spindle_app_init (see
// <spindle/app.hpp>). The master dlopen()s them at start-up (a bad path or a
// missing symbol fails the start, and --check-config); each worker then calls
// every init hook inside its scheduler to register routes on its router.
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
};

// Returns an error message, empty on success.
std::string LoadApps(const std::vector<config::AppConfig>& apps, std::vector<LoadedApp>& out);
// Runs every init hook (in a fiber); returns an error message, empty on success.
std::string InitApps(std::vector<LoadedApp>& apps, Router& router);

}  // namespace spindle::server
