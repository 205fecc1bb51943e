// access_log.hpp: the access-log line, one per finished request: method,
// path, status, bytes, duration and queue wait, as fields in the configured
// log format (see log_format.hpp for the line around them):
//   journal: <6>access method=GET path="/x" status=200 bytes=12 duration_ms=1.234 queue_wait_ms=0.000
//   logfmt:  ts=... level=info pid=42 logger=access method=GET path="/x" status=200 ...
//   json:    {"ts":...,"level":"info","pid":42,"logger":"access","method":"GET","path":"/x",
//             "status":200,"bytes":12,"duration_ms":1.234,"queue_wait_ms":0.0}
//
// Thread contract: LogAccess is thread-safe (spdlog's locking) and never
// suspends; its cost when the access logger is off is one level check.
#pragma once

#include "observe/log_format.hpp"

#include <spdlog/logger.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace spindle::observe {

struct AccessRecord {
  std::string_view method;
  std::string_view path;  // the request target as received
  int status = 0;
  uint64_t bytes = 0;                       // response body bytes
  std::chrono::microseconds duration{0};    // head received -> response end
  std::chrono::microseconds queue_wait{0};  // in the admission queue
};

// The fields part of the line (what LogAccess hands to the access logger).
std::string FormatAccessFields(LogFormat format, const AccessRecord& record);

// Logs the record through the "access" logger at the level SetupLogging chose
// (info or debug); no-op before SetupLogging or when it is off.
void LogAccess(const AccessRecord& record);

// Used by SetupLogging: the logger to write to, the format of its sinks and
// the level of access lines (off disables them).
void ConfigureAccessLog(std::shared_ptr<spdlog::logger> logger, LogFormat format,
                        spdlog::level::level_enum level);

}  // namespace spindle::observe
