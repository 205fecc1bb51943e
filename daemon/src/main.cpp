// main.cpp: the spindled executable: command line, configuration, logging,
// then the master process (which forks the workers).
//
//   spindled -c /etc/spindle/spindled.yaml     run
//   spindled -c FILE --check-config             validate the file and the apps, exit
//   spindled --version
#include <spindle/server.hpp>

#include "config/config.hpp"
#include "server/app_loader.hpp"
#include "server/logging.hpp"
#include "server/master.hpp"

#include <CLI/CLI.hpp>
#include <spdlog/spdlog.h>

#include <cstdio>
#include <iostream>

int main(int argc, char** argv) {
  CLI::App cli{"spindled: the Spindle fiber application server"};
  std::string config_path = "/etc/spindle/spindled.yaml";
  bool check_only = false;
  bool show_version = false;
  cli.add_option("-c,--config", config_path, "configuration file")->capture_default_str();
  cli.add_flag("-t,--check-config", check_only, "check the configuration and the apps, then exit");
  cli.add_flag("-v,--version", show_version, "print the version and exit");
  CLI11_PARSE(cli, argc, argv);

  if (show_version) {
    std::cout << "spindled " << spindle::version() << "\n";
    return 0;
  }

  auto loaded = spindle::config::LoadFile(config_path);
  if (!loaded.config) {
    std::fprintf(stderr, "spindled: %s\n", loaded.error.c_str());
    return 1;
  }
  const spindle::config::Config& cfg = *loaded.config;
  if (std::string err; !spindle::server::SetupLogging(cfg, &err)) {
    std::fprintf(stderr, "spindled: %s: %s\n", config_path.c_str(), err.c_str());
    return 1;
  }

  if (check_only) {
    std::vector<spindle::server::LoadedApp> apps;
    if (std::string err = spindle::server::LoadApps(cfg.apps, apps); !err.empty()) {
      std::fprintf(stderr, "spindled: %s: %s\n", config_path.c_str(), err.c_str());
      return 1;
    }
    std::fprintf(stderr, "spindled: configuration file '%s' is ok\n", config_path.c_str());
    return 0;
  }
  return spindle::server::RunMaster(cfg);
}
