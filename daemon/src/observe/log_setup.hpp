// log_setup.hpp: configures spdlog's default logger ("spindled") and the
// access logger ("access") to write to stderr in one of the three formats of
// log_format.hpp, and optionally to a log file as well. Each event is one
// write(2) of one whole line to an O_APPEND fd, so the lines of the master and
// the forked workers never interleave mid-line.
//
// Thread/process contract: call SetupLogging once at start-up, before fork()
// (workers inherit the loggers and fds); calling it again replaces the
// configuration. ReopenLogFile is for SIGUSR1 (log rotation): call it from
// normal code (a signalfd fiber or loop), not from a signal handler; it is
// thread-safe and every process that has the file open must call it.
#pragma once

#include "observe/log_format.hpp"

#include <string>

namespace spindle::observe {

struct LogOptions {
  std::string level = "info";  // trace, debug, info, warn, error, critical, off
  LogFormat format = LogFormat::kJournal;
  std::string file;             // optional: also append to this file
  bool to_stderr = true;
  // The access log line per request: "info", "debug" (only when the level
  // lets debug through) or "off".
  std::string access_level = "info";
};

// Returns false and sets *err for an unknown level or an unopenable file
// (the previous configuration then stays in place).
bool SetupLogging(const LogOptions& options, std::string* err);

// Reopens the log file (same path, O_APPEND|O_CREAT) after logrotate moved
// it. Returns false and logs why when it cannot; the old fd stays in use.
// No-op (true) without a log file.
bool ReopenLogFile();

}  // namespace spindle::observe
