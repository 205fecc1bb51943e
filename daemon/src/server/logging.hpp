// logging.hpp: spindled's log setup: spdlog's default logger writing to
// stderr (journald-friendly: no colours, level and pid in every line).
// Call once at start-up, before forking; workers inherit it.
#pragma once

#include <string>

namespace spindle::server {

void SetupLogging(const std::string& level);

}  // namespace spindle::server
