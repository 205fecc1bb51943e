// daemon_harness.cpp: see daemon_harness.hpp.
#include "daemon_harness.hpp"

#include "free_port.hpp"
#include "text_file.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace spindle::test {
namespace {

constexpr int kStartAttempts = 3;

std::string MakeTempDir() {
  char tmpl[] = "/tmp/spindle-daemon-XXXXXX";
  if (!mkdtemp(tmpl)) throw std::runtime_error("mkdtemp failed");
  return tmpl;
}

void ReplaceAll(std::string& s, const std::string& from, const std::string& to) {
  for (size_t pos = 0; (pos = s.find(from, pos)) != std::string::npos; pos += to.size()) {
    s.replace(pos, from.size(), to);
  }
}

size_t Count(const std::string& hay, const std::string& needle) {
  size_t n = 0;
  for (size_t pos = 0; (pos = hay.find(needle, pos)) != std::string::npos; pos += needle.size()) {
    ++n;
  }
  return n;
}

pid_t SpawnDaemon(const std::string& binary, const std::vector<std::string>& args,
                  const std::string& log) {
  pid_t pid = fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    setpgid(0, 0);
    int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd >= 0) {
      dup2(fd, 1);
      dup2(fd, 2);
    }
    std::vector<char*> argv;
    argv.push_back(const_cast<char*>(binary.c_str()));
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    execv(binary.c_str(), argv.data());
    _exit(127);
  }
  setpgid(pid, pid);
  return pid;
}

}  // namespace

std::string DefaultSpindledPath() { return std::string(SPINDLE_BINARY_DIR) + "/daemon/spindled"; }

std::string DefaultHelloAppPath() {
  return std::string(SPINDLE_BINARY_DIR) + "/examples/hello/hello.so";
}

DaemonHarness::DaemonHarness(DaemonOptions options) : options_(std::move(options)) {
  dir_ = MakeTempDir();
  socket_ = dir_ + "/spindled.sock";
  config_ = dir_ + "/spindled.yaml";
  log_ = dir_ + "/spindled.log";
  const std::string text = options_.listen + options_.yaml;
  for (int attempt = 0; attempt < kStartAttempts; ++attempt) {
    if (text.find("${PORT}") != std::string::npos) port_ = FreeTcpPort();
    if (text.find("${ADMIN_PORT}") != std::string::npos) admin_port_ = FreeTcpPort();
    if (Start()) return;
    std::filesystem::remove(log_);  // the next attempt's log starts empty
  }
  std::filesystem::remove_all(dir_);
  throw std::runtime_error("spindled did not start: its ports were taken " +
                           std::to_string(kStartAttempts) + " times");
}

bool DaemonHarness::Start() {
  {
    std::ofstream out(config_);
    out << "listen:\n" << Render(options_.listen) << Render(options_.yaml);
  }
  pid_ = SpawnDaemon(options_.binary, {"-c", config_}, log_);
  const bool unix_socket = options_.listen.find("${SOCK}") != std::string::npos;
  auto deadline = std::chrono::steady_clock::now() + options_.start_timeout;
  for (;;) {
    struct stat st;
    bool socket_ready = !unix_socket || stat(socket_.c_str(), &st) == 0;
    if (socket_ready &&
        CountLog("worker ready") >= static_cast<size_t>(options_.expect_workers)) {
      return true;
    }
    if (!running() || std::chrono::steady_clock::now() > deadline) {
      std::string log = Log();
      Stop();
      if (log.find("Address already in use") != std::string::npos) return false;
      std::filesystem::remove_all(dir_);
      throw std::runtime_error("spindled did not start; its log:\n" + log);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

std::string DaemonHarness::address() const {
  if (options_.listen.find("${PORT}") != std::string::npos) {
    return "127.0.0.1:" + std::to_string(port_);
  }
  return "unix:" + socket_;
}

DaemonHarness::~DaemonHarness() {
  Stop();
  if (std::getenv("SPINDLE_KEEP_TEST_DIRS") == nullptr) {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
}

std::string DaemonHarness::Render(const std::string& text) const {
  std::string s = text;
  ReplaceAll(s, "${DIR}", dir_);
  ReplaceAll(s, "${SOCK}", socket_);
  ReplaceAll(s, "${HELLO_APP}", DefaultHelloAppPath());
  ReplaceAll(s, "${PORT}", std::to_string(port_));
  ReplaceAll(s, "${ADMIN_PORT}", std::to_string(admin_port_));
  return s;
}

bool DaemonHarness::running() {
  if (pid_ <= 0) return false;
  int status = 0;
  pid_t r = waitpid(pid_, &status, WNOHANG);
  if (r == pid_) {
    status_ = status;
    kill(-pid_, SIGKILL);  // stray workers, if any
    pid_ = -1;
    return false;
  }
  return true;
}

int DaemonHarness::Reap(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (running()) {
    if (std::chrono::steady_clock::now() > deadline) return -1;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return status_;
}

int DaemonHarness::Stop() {
  if (pid_ <= 0) return status_;
  pid_t pid = pid_;
  kill(pid, SIGTERM);
  if (Reap(options_.stop_timeout) == -1 && pid_ > 0) {
    kill(-pid, SIGKILL);
    Reap(std::chrono::seconds(5));
  }
  return status_;
}

void DaemonHarness::Kill() {
  if (pid_ <= 0) return;
  kill(-pid_, SIGKILL);
  Reap(std::chrono::seconds(5));
}

std::string DaemonHarness::Log() const { return ReadFile(log_); }

size_t DaemonHarness::CountLog(const std::string& needle) const { return Count(Log(), needle); }

bool DaemonHarness::WaitForLog(const std::string& needle, std::chrono::milliseconds timeout,
                               size_t count) const {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (CountLog(needle) >= count) return true;
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

std::vector<pid_t> DaemonHarness::WorkerPids() const {
  std::vector<pid_t> pids;
  std::string log = Log();
  const std::string key = "pid '";
  for (size_t pos = 0; (pos = log.find("master started worker", pos)) != std::string::npos;) {
    size_t p = log.find(key, pos);
    if (p == std::string::npos) break;
    pids.push_back(static_cast<pid_t>(std::atoi(log.c_str() + p + key.size())));
    pos = p;
  }
  return pids;
}

CheckResult CheckSpindledConfig(const std::string& yaml_text) {
  std::string dir = MakeTempDir();
  std::string cfg = dir + "/spindled.yaml";
  std::string out = dir + "/out.log";
  std::string text = yaml_text;
  ReplaceAll(text, "${DIR}", dir);
  ReplaceAll(text, "${SOCK}", dir + "/spindled.sock");
  ReplaceAll(text, "${HELLO_APP}", DefaultHelloAppPath());
  {
    std::ofstream f(cfg);
    f << text;
  }
  CheckResult r;
  pid_t pid = SpawnDaemon(DefaultSpindledPath(), {"--check-config", "-c", cfg}, out);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
  int status = 0;
  for (;;) {
    if (waitpid(pid, &status, WNOHANG) == pid) break;
    if (std::chrono::steady_clock::now() > deadline) {
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.output = ReadFile(out);
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  return r;
}

}  // namespace spindle::test
