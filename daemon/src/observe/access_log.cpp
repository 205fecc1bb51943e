// access_log.cpp: see access_log.hpp.
#include "observe/access_log.hpp"

#include <spdlog/spdlog.h>

#include <atomic>
#include <memory>
#include <cstdio>

namespace spindle::observe {
namespace {

std::atomic<LogFormat> g_format{LogFormat::kJournal};
std::atomic<spdlog::level::level_enum> g_level{spdlog::level::off};
std::atomic<std::shared_ptr<spdlog::logger>> g_logger;

std::string Millis(std::chrono::microseconds d) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3f", static_cast<double>(d.count()) / 1e3);
  return buf;
}

// A logfmt key whose value needs no quoting (numbers).
void AppendPlain(std::string& out, std::string_view key, std::string_view v) {
  out += key;
  out += '=';
  out += v;
}

bool NeedsQuotes(std::string_view v) {
  if (v.empty()) return true;
  for (char c : v) {
    auto u = static_cast<unsigned char>(c);
    if (u <= ' ' || u >= 127 || c == '"' || c == '=' || c == '\\') return true;
  }
  return false;
}

}  // namespace

std::string FormatAccessFields(LogFormat format, const AccessRecord& r) {
  std::string out;
  const std::string status = std::to_string(r.status);
  const std::string bytes = std::to_string(r.bytes);
  const std::string duration = Millis(r.duration);
  const std::string queue = Millis(r.queue_wait);
  if (format == LogFormat::kJson) {
    out += "\"method\":\"";
    AppendJsonEscaped(out, r.method);
    out += "\",\"path\":\"";
    AppendJsonEscaped(out, r.path);
    out += "\",\"status\":" + status + ",\"bytes\":" + bytes + ",\"duration_ms\":" + duration +
           ",\"queue_wait_ms\":" + queue;
    return out;
  }
  // journal and logfmt share the key=value form.
  out += "method=";
  if (NeedsQuotes(r.method)) AppendLogfmtQuoted(out, r.method);
  else out += r.method;
  out += " path=";
  AppendLogfmtQuoted(out, r.path);
  out += ' ';
  AppendPlain(out, "status", status);
  out += ' ';
  AppendPlain(out, "bytes", bytes);
  out += ' ';
  AppendPlain(out, "duration_ms", duration);
  out += ' ';
  AppendPlain(out, "queue_wait_ms", queue);
  return out;
}

void ConfigureAccessLog(std::shared_ptr<spdlog::logger> logger, LogFormat format,
                        spdlog::level::level_enum level) {
  g_logger.store(std::move(logger));
  g_format.store(format, std::memory_order_relaxed);
  g_level.store(level, std::memory_order_relaxed);
}

void LogAccess(const AccessRecord& record) {
  const auto level = g_level.load(std::memory_order_relaxed);
  if (level == spdlog::level::off) return;
  std::shared_ptr<spdlog::logger> logger = g_logger.load();
  if (!logger || !logger->should_log(level)) return;
  const std::string fields = FormatAccessFields(g_format.load(std::memory_order_relaxed), record);
  logger->log(level, spdlog::string_view_t(fields.data(), fields.size()));
}

}  // namespace spindle::observe
