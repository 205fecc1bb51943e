// logging.hpp: spindled's log setup from the configuration's `log:` section,
// through the observability subsystem's formats (observe/log_setup.hpp):
// stderr in journald form (`<6>message`), logfmt or JSON; optionally a log
// file too; and the per-request access log at info or debug (or off).
//
// Process contract: call at start-up, before forking (workers inherit the
// loggers and fds); calling it again (a reload) replaces the configuration.
// For SIGUSR1 (log rotation) every process that writes the file calls
// spindle::observe::ReopenLogFile() from normal code (a signalfd loop or
// fiber), never from a signal handler.
#pragma once

#include "config/config.hpp"

#include <string>

namespace spindle::server {

// Returns false and sets *err when the level/format is unknown or the log
// file cannot be opened (the previous configuration then stays in place).
bool SetupLogging(const config::Config& cfg, std::string* err);

// Level only, journal format to stderr (for tools and early start-up).
void SetupLogging(const std::string& level);

}  // namespace spindle::server
