// logging.cpp: see logging.hpp.
#include "server/logging.hpp"

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

namespace spindle::server {

void SetupLogging(const std::string& level) {
  auto logger = spdlog::get("spindled");
  if (!logger) {
    logger = spdlog::stderr_logger_mt("spindled");
    logger->set_pattern("%Y-%m-%d %H:%M:%S.%e [%l] spindled[%P]: %v");
    spdlog::set_default_logger(logger);
  }
  spdlog::set_level(spdlog::level::from_str(level));
  logger->flush_on(spdlog::level::trace);
}

}  // namespace spindle::server
