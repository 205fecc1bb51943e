// log_format.cpp: see log_format.hpp.
#include "observe/log_format.hpp"

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <ctime>

namespace spindle::observe {
namespace {

int JournalPriority(spdlog::level::level_enum l) {
  switch (l) {
    case spdlog::level::critical: return 2;
    case spdlog::level::err: return 3;
    case spdlog::level::warn: return 4;
    case spdlog::level::info: return 6;
    default: return 7;  // debug, trace
  }
}

std::string_view LevelName(spdlog::level::level_enum l) {
  switch (l) {
    case spdlog::level::trace: return "trace";
    case spdlog::level::debug: return "debug";
    case spdlog::level::info: return "info";
    case spdlog::level::warn: return "warn";
    case spdlog::level::err: return "error";
    case spdlog::level::critical: return "critical";
    default: return "off";
  }
}

// 2026-11-26T10:45:00.123Z
void AppendTimestamp(std::string& out, spdlog::log_clock::time_point tp) {
  using namespace std::chrono;
  auto ms = duration_cast<milliseconds>(tp.time_since_epoch()).count();
  time_t secs = static_cast<time_t>(ms / 1000);
  tm utc;
  gmtime_r(&secs, &utc);
  char buf[96];  // room for any int the compiler imagines
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", utc.tm_year + 1900,
                utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec,
                static_cast<int>(ms % 1000));
  out += buf;
}

// A journal line's text: newlines escaped, carriage returns dropped.
void AppendJournalText(std::string& line, std::string_view text) {
  for (char c : text) {
    if (c == '\n') line += "\\n";
    else if (c != '\r') line += c;
  }
}

class Formatter final : public spdlog::formatter {
 public:
  explicit Formatter(LogFormat format) : format_(format) {}

  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    std::string line;
    std::string_view payload(msg.payload.data(), msg.payload.size());
    const std::string_view logger(msg.logger_name.data(), msg.logger_name.size());
    const bool access = logger == kAccessLoggerName;
    const bool app = logger.substr(0, kAppLoggerPrefix.size()) == kAppLoggerPrefix;
    const std::string_view app_name = app ? logger.substr(kAppLoggerPrefix.size()) : "";
    switch (format_) {
      case LogFormat::kJournal:
        line += '<';
        line += static_cast<char>('0' + JournalPriority(msg.level));
        line += '>';
        if (access) line += "access ";
        if (app) {
          line += '[';
          AppendJournalText(line, app_name);
          line += "] ";
        }
        AppendJournalText(line, payload);
        break;
      case LogFormat::kLogfmt:
        line += "ts=";
        AppendTimestamp(line, msg.time);
        line += " level=";
        line += LevelName(msg.level);
        line += " pid=";
        line += std::to_string(getpid());
        if (access) {
          line += " logger=access ";
          line += payload;
        } else {
          if (app) {
            line += " app=";
            AppendLogfmtQuoted(line, app_name);
          }
          line += " msg=";
          AppendLogfmtQuoted(line, payload);
        }
        break;
      case LogFormat::kJson:
        line += "{\"ts\":\"";
        AppendTimestamp(line, msg.time);
        line += "\",\"level\":\"";
        line += LevelName(msg.level);
        line += "\",\"pid\":";
        line += std::to_string(getpid());
        if (access) {
          line += ",\"logger\":\"access\",";
          line += payload;
        } else {
          if (app) {
            line += ",\"app\":\"";
            AppendJsonEscaped(line, app_name);
            line += '"';
          }
          line += ",\"msg\":\"";
          AppendJsonEscaped(line, payload);
          line += '"';
        }
        line += '}';
        break;
    }
    line += '\n';
    dest.append(line.data(), line.data() + line.size());
  }

  std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<Formatter>(format_);
  }

 private:
  LogFormat format_;
};

}  // namespace

std::optional<LogFormat> ParseLogFormat(std::string_view name) {
  if (name == "journal") return LogFormat::kJournal;
  if (name == "logfmt") return LogFormat::kLogfmt;
  if (name == "json") return LogFormat::kJson;
  return std::nullopt;
}

std::string_view LogFormatName(LogFormat format) {
  switch (format) {
    case LogFormat::kJournal: return "journal";
    case LogFormat::kLogfmt: return "logfmt";
    case LogFormat::kJson: return "json";
  }
  return "journal";
}

std::unique_ptr<spdlog::formatter> MakeLogFormatter(LogFormat format) {
  return std::make_unique<Formatter>(format);
}

void AppendLogfmtQuoted(std::string& out, std::string_view v) {
  out += '"';
  for (char c : v) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default: out += c;
    }
  }
  out += '"';
}

void AppendJsonEscaped(std::string& out, std::string_view v) {
  for (char c : v) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(c));
          out += buf;
        } else {
          out += c;
        }
    }
  }
}

}  // namespace spindle::observe
