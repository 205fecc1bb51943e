// log_format_test.cc: the three log formats produce their exact prefixes and
// fields, through the formatter directly (fixed time) and through the real
// setup (a forked child logging to its stderr, redirected to a file, and to
// a log file that is rotated and reopened as on SIGUSR1); and the access line.
#include "observe/access_log.hpp"
#include "observe/log_format.hpp"
#include "observe/log_setup.hpp"

#include "temp_dir.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>
#include <vector>

namespace spindle::test {
namespace {

using namespace spindle::observe;

using namespace std::chrono_literals;
namespace fs = std::filesystem;

std::string Format(LogFormat f, spdlog::level::level_enum level, std::string_view msg,
                   std::string_view logger = "spindled") {
  // 2026-11-26T10:45:00.123Z
  auto tp = spdlog::log_clock::time_point(std::chrono::milliseconds(1795689900123LL));
  spdlog::details::log_msg m(tp, spdlog::source_loc{}, spdlog::string_view_t(logger.data(), logger.size()),
                             level, spdlog::string_view_t(msg.data(), msg.size()));
  spdlog::memory_buf_t buf;
  MakeLogFormatter(f)->format(m, buf);
  return std::string(buf.data(), buf.size());
}

std::vector<std::string> Lines(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::string> out;
  for (std::string l; std::getline(in, l);) out.push_back(l);
  return out;
}

LogOptions Options(LogFormat format, const std::string& file, bool to_stderr) {
  LogOptions o;
  o.format = format;
  o.file = file;
  o.to_stderr = to_stderr;
  return o;
}

TEST(LogFormat, JournalPriorityPrefixes) {
  EXPECT_EQ(Format(LogFormat::kJournal, spdlog::level::critical, "x"), "<2>x\n");
  EXPECT_EQ(Format(LogFormat::kJournal, spdlog::level::err, "worker '1' died"), "<3>worker '1' died\n");
  EXPECT_EQ(Format(LogFormat::kJournal, spdlog::level::warn, "slow"), "<4>slow\n");
  EXPECT_EQ(Format(LogFormat::kJournal, spdlog::level::info, "ready"), "<6>ready\n");
  EXPECT_EQ(Format(LogFormat::kJournal, spdlog::level::debug, "d"), "<7>d\n");
  EXPECT_EQ(Format(LogFormat::kJournal, spdlog::level::trace, "t"), "<7>t\n");
  // One event, one line.
  EXPECT_EQ(Format(LogFormat::kJournal, spdlog::level::info, "a\nb"), "<6>a\\nb\n");
}

TEST(LogFormat, Logfmt) {
  const std::string pid = std::to_string(getpid());
  EXPECT_EQ(Format(LogFormat::kLogfmt, spdlog::level::warn, "fiber 'x' ran \"long\""),
            "ts=2026-11-26T10:45:00.123Z level=warn pid=" + pid +
                " msg=\"fiber 'x' ran \\\"long\\\"\"\n");
  EXPECT_EQ(Format(LogFormat::kLogfmt, spdlog::level::err, "a\\b\nc"),
            "ts=2026-11-26T10:45:00.123Z level=error pid=" + pid + " msg=\"a\\\\b\\nc\"\n");
}

TEST(LogFormat, Json) {
  std::string line = Format(LogFormat::kJson, spdlog::level::info, "quote \" tab \t ctl \x01 nl \n");
  EXPECT_EQ(line.back(), '\n');
  EXPECT_EQ(line.find('\n'), line.size() - 1);
  auto j = nlohmann::json::parse(line);
  EXPECT_EQ(j["ts"], "2026-11-26T10:45:00.123Z");
  EXPECT_EQ(j["level"], "info");
  EXPECT_EQ(j["pid"], getpid());
  EXPECT_EQ(j["msg"], "quote \" tab \t ctl \x01 nl \n");
  EXPECT_EQ(line.rfind("{\"ts\":\"2026-11-26T10:45:00.123Z\",\"level\":\"info\",\"pid\":", 0), 0u);
}

// An app's lines (logger "app:NAME", <spindle/log.hpp>) carry its name in
// each format; a hostile name cannot break the line or the JSON.
TEST(LogFormat, AppLinesCarryTheAppName) {
  const std::string pid = std::to_string(getpid());
  EXPECT_EQ(Format(LogFormat::kJournal, spdlog::level::warn, "room full", "app:chat"),
            "<4>[chat] room full\n");
  EXPECT_EQ(Format(LogFormat::kLogfmt, spdlog::level::info, "x=1", "app:chat"),
            "ts=2026-11-26T10:45:00.123Z level=info pid=" + pid + " app=\"chat\" msg=\"x=1\"\n");
  std::string line = Format(LogFormat::kJson, spdlog::level::err, "m", "app:chat");
  EXPECT_EQ(line, "{\"ts\":\"2026-11-26T10:45:00.123Z\",\"level\":\"error\",\"pid\":" + pid +
                      ",\"app\":\"chat\",\"msg\":\"m\"}\n");
  const std::string evil = "app:a\"b\\c\nd";
  EXPECT_EQ(Format(LogFormat::kJournal, spdlog::level::info, "m", evil), "<6>[a\"b\\c\\nd] m\n");
  EXPECT_EQ(Format(LogFormat::kLogfmt, spdlog::level::info, "m", evil),
            "ts=2026-11-26T10:45:00.123Z level=info pid=" + pid +
                " app=\"a\\\"b\\\\c\\nd\" msg=\"m\"\n");
  auto j = nlohmann::json::parse(Format(LogFormat::kJson, spdlog::level::info, "m", evil));
  EXPECT_EQ(j["app"], "a\"b\\c\nd");
  EXPECT_EQ(j["msg"], "m");
  // spindled's own lines and the access logger are unchanged: no app field.
  EXPECT_FALSE(nlohmann::json::parse(Format(LogFormat::kJson, spdlog::level::info, "m")).contains("app"));
}

TEST(LogFormat, ParseNames) {
  EXPECT_EQ(ParseLogFormat("journal"), LogFormat::kJournal);
  EXPECT_EQ(ParseLogFormat("logfmt"), LogFormat::kLogfmt);
  EXPECT_EQ(ParseLogFormat("json"), LogFormat::kJson);
  EXPECT_FALSE(ParseLogFormat("xml"));
  EXPECT_EQ(LogFormatName(LogFormat::kLogfmt), "logfmt");
}

TEST(AccessLog, FieldsInEachFormat) {
  AccessRecord r{"GET", "/users/42?x=\"y\"", 200, 1234, 1500us, 250us};
  EXPECT_EQ(FormatAccessFields(LogFormat::kLogfmt, r),
            "method=GET path=\"/users/42?x=\\\"y\\\"\" status=200 bytes=1234 duration_ms=1.500 "
            "queue_wait_ms=0.250");
  EXPECT_EQ(FormatAccessFields(LogFormat::kJournal, r), FormatAccessFields(LogFormat::kLogfmt, r));
  std::string fields = FormatAccessFields(LogFormat::kJson, r);
  auto line = Format(LogFormat::kJson, spdlog::level::info, fields, kAccessLoggerName);
  auto j = nlohmann::json::parse(line);
  EXPECT_EQ(j["logger"], "access");
  EXPECT_EQ(j["method"], "GET");
  EXPECT_EQ(j["path"], "/users/42?x=\"y\"");
  EXPECT_EQ(j["status"], 200);
  EXPECT_EQ(j["bytes"], 1234);
  EXPECT_DOUBLE_EQ(j["duration_ms"].get<double>(), 1.5);
  EXPECT_DOUBLE_EQ(j["queue_wait_ms"].get<double>(), 0.25);
  EXPECT_EQ(Format(LogFormat::kJournal, spdlog::level::info, FormatAccessFields(LogFormat::kJournal, r),
                   kAccessLoggerName),
            "<6>access method=GET path=\"/users/42?x=\\\"y\\\"\" status=200 bytes=1234 "
            "duration_ms=1.500 queue_wait_ms=0.250\n");
  // A method that is not a plain token is quoted.
  AccessRecord odd{"GE T", "/", 400, 0, 0us, 0us};
  EXPECT_EQ(FormatAccessFields(LogFormat::kLogfmt, odd).rfind("method=\"GE T\" path=\"/\"", 0), 0u);
}

TEST(LogSetup, RejectsBadLevel) {
  std::string err;
  LogOptions o = Options(LogFormat::kJournal, "", false);
  o.level = "loud";
  EXPECT_FALSE(SetupLogging(o, &err));
  EXPECT_NE(err.find("loud"), std::string::npos);
  o = Options(LogFormat::kJournal, "", false);
  o.access_level = "warn";
  EXPECT_FALSE(SetupLogging(o, &err));
  EXPECT_FALSE(SetupLogging(Options(LogFormat::kJournal, "/nonexistent-dir/x.log", false), &err));
}

// In a forked child (so the test process keeps its own loggers and stderr):
// stderr goes to a file, logging is set up in `format`, and a few events are
// logged, including an access line and a debug line below the level.
void LogInChild(LogFormat format, const std::string& stderr_path, const std::string& file_path) {
  pid_t pid = fork();
  if (pid == 0) {
    int fd = open(stderr_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    dup2(fd, STDERR_FILENO);
    std::string err;
    if (!SetupLogging(Options(format, file_path, true), &err)) _exit(2);
    spdlog::info("worker '{}' started", 3);
    spdlog::debug("not shown");
    spdlog::error("upstream sent \"junk\"");
    LogAccess({"GET", "/a", 404, 9, 2000us, 0us});
    _exit(0);
  }
  int status = 0;
  for (int i = 0; i < 1000 && waitpid(pid, &status, WNOHANG) != pid; ++i) {
    std::this_thread::sleep_for(10ms);
  }
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

TEST(LogSetup, StderrJournalFromAChild) {
  TempDir dir;
  LogInChild(LogFormat::kJournal, dir.path("stderr"), "");
  EXPECT_EQ(Lines(dir.path("stderr")),
            (std::vector<std::string>{
                "<6>worker '3' started", "<3>upstream sent \"junk\"",
                "<6>access method=GET path=\"/a\" status=404 bytes=9 duration_ms=2.000 queue_wait_ms=0.000"}));
}

TEST(LogSetup, LogfmtAndJsonToStderrAndFile) {
  TempDir dir;
  LogInChild(LogFormat::kLogfmt, dir.path("stderr"), dir.path("spindled.log"));
  auto err_lines = Lines(dir.path("stderr"));
  EXPECT_EQ(err_lines, Lines(dir.path("spindled.log")));
  ASSERT_EQ(err_lines.size(), 3u);
  EXPECT_EQ(err_lines[0].rfind("ts=", 0), 0u);
  EXPECT_NE(err_lines[0].find(" level=info pid="), std::string::npos);
  EXPECT_NE(err_lines[0].find(" msg=\"worker '3' started\""), std::string::npos);
  EXPECT_NE(err_lines[2].find(" level=info pid="), std::string::npos);
  EXPECT_NE(err_lines[2].find(" logger=access method=GET path=\"/a\" status=404 bytes=9"), std::string::npos);

  LogInChild(LogFormat::kJson, dir.path("stderr"), dir.path("json.log"));
  auto lines = Lines(dir.path("json.log"));
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(nlohmann::json::parse(lines[1])["level"], "error");
  EXPECT_EQ(nlohmann::json::parse(lines[2])["status"], 404);
}

TEST(LogSetup, ReopenAfterRotation) {
  TempDir dir;
  pid_t pid = fork();
  if (pid == 0) {
    std::string err;
    if (!SetupLogging(Options(LogFormat::kJournal, dir.path("a.log"), false), &err)) _exit(2);
    spdlog::info("before");
    fs::rename(dir.path("a.log"), dir.path("a.log.1"));  // what logrotate does
    spdlog::info("still old");
    if (!ReopenLogFile()) _exit(3);
    spdlog::info("after");
    _exit(0);
  }
  int status = 0;
  for (int i = 0; i < 1000 && waitpid(pid, &status, WNOHANG) != pid; ++i) {
    std::this_thread::sleep_for(10ms);
  }
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  EXPECT_EQ(Lines(dir.path("a.log.1")), (std::vector<std::string>{"<6>before", "<6>still old"}));
  EXPECT_EQ(Lines(dir.path("a.log")),
            (std::vector<std::string>{"<6>log file '" + dir.path("a.log") + "' reopened", "<6>after"}));
}

}  // namespace
}  // namespace spindle::test
