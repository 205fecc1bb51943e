// log.hpp: writing to spindled's log from an app (public app API). Lines go
// through spindled's own logger: the same destinations (stderr, log.file),
// the same format (log.format: journal, logfmt or json) and the same
// minimum level (log.level). A Logger named after the app (AppContext::
// logger()) puts the app's name in each line:
//   journal: <6>[chat] room 'lobby' opened
//   logfmt:  ts=... level=info pid=42 app="chat" msg="room 'lobby' opened"
//   json:    {"ts":"...","level":"info","pid":42,"app":"chat","msg":"room 'lobby' opened"}
//
//   auto log = ctx.logger();                       // in init; cheap to copy
//   log.info("room '", name, "' opened by user ", id);
//   if (log.enabled(spindle::LogLevel::kDebug)) log.debug(ExpensiveDump());
//   spindle::log::warn("no app name in this line");
//
// Arguments are written one after another with operator<< (std::ostream),
// so strings, numbers and any type with an operator<< work; a single string
// argument is logged as is. Nothing is formatted when the level is off.
// Newlines in a message are escaped (one event, one line).
//
// Thread/fiber contract: every call is thread-safe and never suspends; a
// line is one write(2) (the log file's O_APPEND keeps workers' lines whole).
// A call never throws: a line that cannot be formatted (std::bad_alloc, an
// operator<< that throws a std::exception) or written is dropped. Before
// spindled set its logging up (a unit test) lines go to spdlog's default
// stderr logger.
#pragma once

#include <exception>
#include <sstream>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

namespace spindle {

enum class LogLevel { kDebug, kInfo, kWarn, kError };

class Logger {
 public:
  // spindled's own lines (no app name).
  Logger() = default;
  // Lines that carry `app` (AppContext::logger() uses the app's name).
  explicit Logger(std::string app) : app_(std::move(app)) {}

  const std::string& app() const noexcept { return app_; }

  // Whether a line at `level` would be written (log.level lets it through).
  bool enabled(LogLevel level) const noexcept;
  // Writes `message` at `level` as it is.
  void write(LogLevel level, std::string_view message) const noexcept;

  template <class... Args>
  void debug(const Args&... args) const { Log(LogLevel::kDebug, args...); }
  template <class... Args>
  void info(const Args&... args) const { Log(LogLevel::kInfo, args...); }
  template <class... Args>
  void warn(const Args&... args) const { Log(LogLevel::kWarn, args...); }
  template <class... Args>
  void error(const Args&... args) const { Log(LogLevel::kError, args...); }

 private:
  template <class... Args>
  void Log(LogLevel level, const Args&... args) const noexcept {
    if (!enabled(level)) return;
    if constexpr (sizeof...(Args) == 1 &&
                  (std::is_convertible_v<const Args&, std::string_view> && ...)) {
      write(level, std::string_view(args...));
    } else {
      try {
        std::ostringstream out;
        (out << ... << args);
        write(level, out.view());
      } catch (const std::exception&) {
        // Out of memory, or an operator<< that threw: the line is dropped.
      }
    }
  }

  std::string app_;
};

// The same without an app name.
namespace log {

inline bool enabled(LogLevel level) noexcept { return Logger().enabled(level); }
template <class... Args>
void debug(const Args&... args) { Logger().debug(args...); }
template <class... Args>
void info(const Args&... args) { Logger().info(args...); }
template <class... Args>
void warn(const Args&... args) { Logger().warn(args...); }
template <class... Args>
void error(const Args&... args) { Logger().error(args...); }

}  // namespace log
}  // namespace spindle
