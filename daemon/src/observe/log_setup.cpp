// log_setup.cpp: see log_setup.hpp. FdSink is a small spdlog sink that
// writes each formatted line with one write(2), retrying on EINTR and short
// writes; it owns the file fd (not stderr's).
#include "observe/log_setup.hpp"

#include "observe/access_log.hpp"

#include <spdlog/sinks/base_sink.h>
#include <spdlog/spdlog.h>

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <mutex>
#include <vector>

namespace spindle::observe {
namespace {

class FdSink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  // path empty: write to stderr (fd 2, not owned).
  explicit FdSink(std::string path) : path_(std::move(path)) {}
  ~FdSink() override {
    if (!path_.empty() && fd_ >= 0) ::close(fd_);
  }

  bool Open(std::string* err) {
    if (path_.empty()) {
      fd_ = STDERR_FILENO;
      return true;
    }
    fd_ = ::open(path_.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
    if (fd_ < 0) {
      *err = "log file '" + path_ + "': " + std::strerror(errno);
      return false;
    }
    return true;
  }

  bool Reopen(std::string* err) {
    std::lock_guard<std::mutex> lock(mutex_);
    int fd = ::open(path_.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
    if (fd < 0) {
      *err = "log file '" + path_ + "': " + std::strerror(errno);
      return false;
    }
    ::close(fd_);
    fd_ = fd;
    return true;
  }

  const std::string& path() const { return path_; }

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    spdlog::memory_buf_t buf;
    formatter_->format(msg, buf);
    const char* p = buf.data();
    size_t left = buf.size();
    while (left > 0) {
      ssize_t n = ::write(fd_, p, left);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return;  // nowhere left to report it
      p += n;
      left -= static_cast<size_t>(n);
    }
  }
  void flush_() override {}

 private:
  std::string path_;
  int fd_ = -1;
};

std::mutex g_mutex;
std::shared_ptr<FdSink> g_file_sink;

}  // namespace

bool SetupLogging(const LogOptions& options, std::string* err) {
  std::string local;
  if (!err) err = &local;
  auto level = spdlog::level::from_str(options.level);
  if (level == spdlog::level::off && options.level != "off") {
    *err = "log level '" + options.level + "' is not one of trace, debug, info, warn, error, critical, off";
    return false;
  }
  if (options.access_level != "info" && options.access_level != "debug" &&
      options.access_level != "off") {
    *err = "access log level '" + options.access_level + "' is not one of info, debug, off";
    return false;
  }
  std::vector<spdlog::sink_ptr> sinks;
  if (options.to_stderr) {
    auto s = std::make_shared<FdSink>("");
    s->Open(err);
    sinks.push_back(s);
  }
  std::shared_ptr<FdSink> file;
  if (!options.file.empty()) {
    file = std::make_shared<FdSink>(options.file);
    if (!file->Open(err)) return false;
    sinks.push_back(file);
  }
  for (auto& s : sinks) s->set_formatter(MakeLogFormatter(options.format));

  auto main = std::make_shared<spdlog::logger>("spindled", sinks.begin(), sinks.end());
  main->set_level(level);
  main->flush_on(spdlog::level::trace);
  auto access = std::make_shared<spdlog::logger>(std::string(kAccessLoggerName), sinks.begin(),
                                                 sinks.end());
  access->set_level(options.access_level == "off" ? spdlog::level::off : level);
  access->flush_on(spdlog::level::trace);

  std::lock_guard<std::mutex> lock(g_mutex);
  spdlog::drop(std::string(kAccessLoggerName));
  spdlog::register_logger(access);
  spdlog::set_default_logger(main);  // replaces (and registers) "spindled"
  g_file_sink = file;
  ConfigureAccessLog(access, options.format,
                     options.access_level == "off"     ? spdlog::level::off
                     : options.access_level == "debug" ? spdlog::level::debug
                                                       : spdlog::level::info);
  return true;
}

bool ReopenLogFile() {
  std::shared_ptr<FdSink> file;
  {
    std::lock_guard<std::mutex> lock(g_mutex);
    file = g_file_sink;
  }
  if (!file) return true;
  std::string err;
  if (!file->Reopen(&err)) {
    spdlog::error("log reopen failed: {}", err);
    return false;
  }
  spdlog::info("log file '{}' reopened", file->path());
  return true;
}

}  // namespace spindle::observe
