// log_format.hpp: spdlog formatters for spindled's three log formats, one
// line per event:
//   journal: "<6>message" — the syslog priority prefix journald reads from a
//            service's stderr (<2> critical, <3> error, <4> warning, <6> info,
//            <7> debug and trace); no timestamp, journald adds its own.
//   logfmt:  ts=2026-11-26T10:45:00.123Z level=info pid=42 msg="message"
//   json:    {"ts":"2026-11-26T10:45:00.123Z","level":"info","pid":42,"msg":"message"}
// Newlines inside a message are escaped, so an event is always one line.
// Messages of the access logger (logger name kAccessLoggerName) carry
// pre-formatted fields (see access_log.hpp) that are spliced in as fields
// rather than quoted as a message. Messages of a logger named
// kAppLoggerPrefix + NAME (an app's lines, <spindle/log.hpp>) carry the app:
//   journal: "<6>[NAME] message"; logfmt: ... app="NAME" msg=...;
//   json: ...,"app":"NAME","msg":...
//
// Thread contract: a formatter is used under its sink's lock (spdlog's rule);
// Format* functions are pure.
#pragma once

#include <spdlog/formatter.h>

#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace spindle::observe {

enum class LogFormat { kJournal, kLogfmt, kJson };

inline constexpr std::string_view kAccessLoggerName = "access";
inline constexpr std::string_view kAppLoggerPrefix = "app:";

// "journal", "logfmt", "json"; nullopt otherwise.
std::optional<LogFormat> ParseLogFormat(std::string_view name);
std::string_view LogFormatName(LogFormat format);

std::unique_ptr<spdlog::formatter> MakeLogFormatter(LogFormat format);

// Escapers shared with access_log.cpp. Quoted logfmt value (always quoted)
// and JSON string contents (without the quotes).
void AppendLogfmtQuoted(std::string& out, std::string_view v);
void AppendJsonEscaped(std::string& out, std::string_view v);

}  // namespace spindle::observe
