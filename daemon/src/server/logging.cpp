// logging.cpp: see logging.hpp. Maps the config's strings onto
// observe::LogOptions.
#include "server/logging.hpp"

#include "observe/log_setup.hpp"

#include <spdlog/spdlog.h>

namespace spindle::server {

bool SetupLogging(const config::Config& cfg, std::string* err) {
  observe::LogOptions lo;
  lo.level = cfg.log_level;
  auto format = observe::ParseLogFormat(cfg.observe.log_format);
  if (!format) {
    *err = "unknown log format '" + cfg.observe.log_format + "'";
    return false;
  }
  lo.format = *format;
  lo.file = cfg.observe.log_file;
  lo.access_level = cfg.observe.access_log;
  return observe::SetupLogging(lo, err);
}

void SetupLogging(const std::string& level) {
  observe::LogOptions lo;
  lo.level = level;
  std::string err;
  if (!observe::SetupLogging(lo, &err)) spdlog::error("log setup failed: {}", err);
}

}  // namespace spindle::server
