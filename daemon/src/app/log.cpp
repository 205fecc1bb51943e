// log.cpp: the app logging API (<spindle/log.hpp>) on spindled's default
// spdlog logger (observe/log_setup.hpp). A line with an app name is handed to
// that logger's sinks under the logger name "app:<name>", which the formatter
// (observe/log_format.cpp) renders as the app field; so an app line needs no
// logger of its own and always follows the current sinks, format and level.
//
// Thread contract: thread-safe (the sinks lock), never suspends, never throws.
#include <spindle/log.hpp>

#include "observe/log_format.hpp"

#include <spdlog/sinks/sink.h>
#include <spdlog/spdlog.h>

namespace spindle {
namespace {

spdlog::level::level_enum ToSpdlog(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug: return spdlog::level::debug;
    case LogLevel::kInfo: return spdlog::level::info;
    case LogLevel::kWarn: return spdlog::level::warn;
    case LogLevel::kError: return spdlog::level::err;
  }
  return spdlog::level::err;
}

}  // namespace

bool Logger::enabled(LogLevel level) const noexcept {
  spdlog::logger* logger = spdlog::default_logger_raw();
  return logger && logger->should_log(ToSpdlog(level));
}

void Logger::write(LogLevel level, std::string_view message) const noexcept {
  spdlog::logger* logger = spdlog::default_logger_raw();
  const auto lvl = ToSpdlog(level);
  if (!logger || !logger->should_log(lvl)) return;
  const spdlog::string_view_t text(message.data(), message.size());
  try {
    if (app_.empty()) {
      logger->log(spdlog::source_loc{}, lvl, text);  // verbatim, not a format string
      return;
    }
    const std::string name = std::string(observe::kAppLoggerPrefix) + app_;
    const spdlog::details::log_msg msg(spdlog::source_loc{}, name, lvl, text);
    for (const spdlog::sink_ptr& sink : logger->sinks()) {
      if (sink->should_log(lvl)) sink->log(msg);
    }
    if (lvl >= logger->flush_level()) {
      for (const spdlog::sink_ptr& sink : logger->sinks()) sink->flush();
    }
  } catch (const std::exception&) {
    // Nowhere left to report it (out of memory, a failing sink).
  }
}

}  // namespace spindle
