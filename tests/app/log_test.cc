// log_test.cc: the app logging API (<spindle/log.hpp>) through spindled's
// real log setup (observe::SetupLogging with a log file): the app's name in
// each format, spindled's own lines without it, the level from the config
// (arguments not even formatted when it is off), messages written verbatim
// (braces, newlines) and the variadic form's streaming.
#include <spindle/log.hpp>

#include "observe/log_setup.hpp"

#include "temp_dir.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <unistd.h>

#include <fstream>
#include <ostream>
#include <string>
#include <vector>

namespace spindle::test {
namespace {

using observe::LogFormat;

std::vector<std::string> Lines(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::string> out;
  for (std::string l; std::getline(in, l);) out.push_back(l);
  return out;
}

// Logs to `file` only, in `format`, at `level`; back to stderr afterwards.
class LogTo {
 public:
  LogTo(const std::string& file, LogFormat format, const std::string& level = "info") {
    observe::LogOptions o;
    o.format = format;
    o.file = file;
    o.to_stderr = false;
    o.level = level;
    std::string err;
    EXPECT_TRUE(observe::SetupLogging(o, &err)) << err;
  }
  ~LogTo() {
    std::string err;
    observe::SetupLogging(observe::LogOptions{}, &err);
  }
};

// Counts how often it was formatted.
struct Probe {
  int* formatted;
};
std::ostream& operator<<(std::ostream& out, const Probe& p) {
  ++*p.formatted;
  return out << "probe";
}

TEST(AppLog, JournalLinesCarryTheAppName) {
  TempDir dir;
  const std::string file = dir.path("log");
  {
    LogTo to(file, LogFormat::kJournal);
    Logger chat("chat");
    chat.info("room 'lobby' opened");
    chat.warn("n=", 42, " ratio=", 0.5, " ok=", true, ' ', std::string("s"));
    chat.error("two\nlines");
    log::info("{} is not a format string");
    Logger().write(LogLevel::kWarn, "spindled's own");
  }
  EXPECT_EQ(Lines(file), (std::vector<std::string>{
                             "<6>[chat] room 'lobby' opened",
                             "<4>[chat] n=42 ratio=0.5 ok=1 s",
                             "<3>[chat] two\\nlines",
                             "<6>{} is not a format string",
                             "<4>spindled's own",
                         }));
}

TEST(AppLog, JsonAndLogfmtLinesCarryTheAppName) {
  TempDir dir;
  {
    LogTo to(dir.path("json"), LogFormat::kJson);
    Logger("chat").info("hello \"world\"");
    log::error("no app");
  }
  std::vector<std::string> lines = Lines(dir.path("json"));
  ASSERT_EQ(lines.size(), 2u);
  auto j = nlohmann::json::parse(lines[0]);
  EXPECT_EQ(j["app"], "chat");
  EXPECT_EQ(j["msg"], "hello \"world\"");
  EXPECT_EQ(j["level"], "info");
  EXPECT_EQ(j["pid"], getpid());
  auto k = nlohmann::json::parse(lines[1]);
  EXPECT_FALSE(k.contains("app"));
  EXPECT_EQ(k["level"], "error");
  EXPECT_EQ(k["msg"], "no app");

  {
    LogTo to(dir.path("logfmt"), LogFormat::kLogfmt);
    Logger("chat").debug("hidden");  // level info
    Logger("chat").warn("x=", 1);
  }
  lines = Lines(dir.path("logfmt"));
  ASSERT_EQ(lines.size(), 1u);
  const std::string want =
      " level=warn pid=" + std::to_string(getpid()) + " app=\"chat\" msg=\"x=1\"";
  EXPECT_NE(lines[0].find(want), std::string::npos)
      << lines[0];
}

TEST(AppLog, LevelFromTheConfigAndNoFormattingWhenOff) {
  TempDir dir;
  const std::string file = dir.path("log");
  int formatted = 0;
  {
    LogTo to(file, LogFormat::kJournal, "warn");
    Logger app("a");
    EXPECT_FALSE(app.enabled(LogLevel::kDebug));
    EXPECT_FALSE(app.enabled(LogLevel::kInfo));
    EXPECT_TRUE(app.enabled(LogLevel::kWarn));
    EXPECT_TRUE(log::enabled(LogLevel::kError));
    app.info("dropped ", Probe{&formatted});
    app.debug(Probe{&formatted});
    EXPECT_EQ(formatted, 0);
    app.warn("kept ", Probe{&formatted});
    EXPECT_EQ(formatted, 1);
    app.write(LogLevel::kInfo, "dropped too");
  }
  {
    LogTo to(dir.path("off"), LogFormat::kJournal, "off");
    EXPECT_FALSE(log::enabled(LogLevel::kError));
    log::error("nothing");
  }
  {
    LogTo to(dir.path("debug"), LogFormat::kJournal, "debug");
    Logger("a").debug("shown");
  }
  EXPECT_EQ(Lines(file), std::vector<std::string>{"<4>[a] kept probe"});
  EXPECT_TRUE(Lines(dir.path("off")).empty());
  EXPECT_EQ(Lines(dir.path("debug")), std::vector<std::string>{"<7>[a] shown"});
}

// An operator<< that throws: the line is dropped, the caller goes on.
struct Throws {};
std::ostream& operator<<(std::ostream& out, const Throws&) {
  throw std::runtime_error("cannot print");
  return out;
}

TEST(AppLog, AFailingArgumentDropsTheLineOnly) {
  TempDir dir;
  {
    LogTo to(dir.path("log"), LogFormat::kJournal);
    Logger("a").info("before ", Throws{});
    Logger("a").info("after");
  }
  EXPECT_EQ(Lines(dir.path("log")), std::vector<std::string>{"<6>[a] after"});
}

}  // namespace
}  // namespace spindle::test
