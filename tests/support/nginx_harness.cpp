// NginxHarness: starts, reloads and stops a private real nginx for tests (see
// nginx_harness.hpp). Blocking helper for test threads; every wait bounded.
#include "nginx_harness.hpp"

#include "free_port.hpp"
#include "text_file.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>
#include <vector>

namespace spindle::test {

namespace {

constexpr const char* kNginx = "/usr/sbin/nginx";
constexpr int kStartAttempts = 3;

std::string MakeTempDir() {
  const char* base = std::getenv("TMPDIR");
  std::string tmpl = std::string(base && *base ? base : "/tmp") + "/spindle-nginx-XXXXXX";
  std::vector<char> buf(tmpl.begin(), tmpl.end());
  buf.push_back('\0');
  if (mkdtemp(buf.data()) == nullptr) {
    throw std::runtime_error(std::string("nginx harness: mkdtemp failed: ") + std::strerror(errno));
  }
  // Workers that do not run as root must still traverse the prefix.
  chmod(buf.data(), 0755);
  return buf.data();
}

std::string Substitute(std::string text, const std::map<std::string, std::string>& vars) {
  for (const auto& [key, value] : vars) {
    const std::string token = "${" + key + "}";
    for (size_t pos = text.find(token); pos != std::string::npos;
         pos = text.find(token, pos + value.size())) {
      text.replace(pos, token.size(), value);
    }
  }
  return text;
}

std::string BuildConfig(const NginxOptions& o, const std::string& prefix) {
  std::ostringstream c;
  if (o.user_root && geteuid() == 0) c << "user root;\n";
  c << "daemon off;\nmaster_process on;\n"
    << "worker_processes " << o.worker_processes << ";\n"
    << "pid " << prefix << "/logs/nginx.pid;\n"
    << "error_log " << prefix << "/logs/error.log " << o.error_log_level << ";\n";
  if (o.load_module) c << "load_module " << o.module_path << ";\n";
  c << o.main << "\n"
    << "events { worker_connections " << o.worker_connections << "; }\n"
    << "http {\n"
    << "  access_log " << prefix << "/logs/access.log;\n"
    << "  default_type application/octet-stream;\n"
    << "  client_body_temp_path " << prefix << "/tmp/body;\n"
    << "  proxy_temp_path " << prefix << "/tmp/proxy;\n"
    << "  fastcgi_temp_path " << prefix << "/tmp/fastcgi;\n"
    << "  uwsgi_temp_path " << prefix << "/tmp/uwsgi;\n"
    << "  scgi_temp_path " << prefix << "/tmp/scgi;\n";
  // The module's default (/var/lib/nginx/spindle) is outside the prefix.
  if (o.load_module) c << "  spindle_temp_path " << prefix << "/tmp/spindle;\n";
  c << o.http << "\n";
  if (!o.server.empty()) {
    c << "  server {\n    listen 127.0.0.1:${PORT};\n" << o.server << "\n  }\n";
  }
  c << "}\n";
  return c.str();
}

struct RunResult {
  int status = -1;
  std::string output;
};

// Runs nginx with args, captures stdout+stderr, bounded by `timeout`.
RunResult RunNginx(const std::vector<std::string>& args, const std::string& out_path,
                   std::chrono::milliseconds timeout) {
  pid_t pid = fork();
  if (pid < 0) throw std::runtime_error("nginx harness: fork failed");
  if (pid == 0) {
    int fd = open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd >= 0) {
      dup2(fd, 1);
      dup2(fd, 2);
    }
    std::vector<char*> argv;
    argv.push_back(const_cast<char*>(kNginx));
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    execv(kNginx, argv.data());
    _exit(127);
  }
  RunResult r;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    pid_t w = waitpid(pid, &r.status, WNOHANG);
    if (w == pid) break;
    if (std::chrono::steady_clock::now() > deadline) {
      kill(pid, SIGKILL);
      waitpid(pid, &r.status, 0);
      r.output = "nginx harness: nginx timed out\n";
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  r.output += ReadFile(out_path);
  return r;
}

}  // namespace

std::string DefaultNginxModulePath() {
#ifdef SPINDLE_BINARY_DIR
  return std::string(SPINDLE_BINARY_DIR) + "/nginx-module/ngx_http_spindle_module.so";
#else
  return "ngx_http_spindle_module.so";
#endif
}

NginxHarness::NginxHarness(NginxOptions options) : options_(std::move(options)) {
  keep_prefix_ = std::getenv("SPINDLE_KEEP_TMP") != nullptr;
  prefix_ = MakeTempDir();
  std::filesystem::create_directories(prefix_ + "/conf");
  std::filesystem::create_directories(prefix_ + "/logs");
  std::filesystem::create_directories(prefix_ + "/tmp");
  std::string last_error;
  for (int attempt = 0; attempt < kStartAttempts; attempt++) {
    port_ = FreeTcpPort();
    WriteConfig();
    try {
      Start();
      return;
    } catch (const std::runtime_error& e) {
      last_error = e.what();
      Stop();
      if (last_error.find("Address already in use") == std::string::npos) break;
    }
  }
  if (!keep_prefix_) std::filesystem::remove_all(prefix_);
  throw std::runtime_error(last_error);
}

NginxHarness::~NginxHarness() {
  Stop();
  if (!keep_prefix_ && !prefix_.empty()) {
    std::error_code ec;
    std::filesystem::remove_all(prefix_, ec);
  }
}

std::string NginxHarness::Render(const std::string& text) const {
  std::map<std::string, std::string> vars = options_.vars;
  vars["PORT"] = std::to_string(port_);
  vars["PREFIX"] = prefix_;
  vars["MODULE"] = options_.module_path;
  return Substitute(text, vars);
}

void NginxHarness::WriteConfig() {
  WriteFile(prefix_ + "/conf/nginx.conf", Render(BuildConfig(options_, prefix_)));
}

std::string NginxHarness::ConfigText() const { return ReadFile(prefix_ + "/conf/nginx.conf"); }

NginxCheck NginxHarness::CheckConfig(const NginxOptions& options) {
  std::string prefix = MakeTempDir();
  std::filesystem::create_directories(prefix + "/conf");
  std::filesystem::create_directories(prefix + "/logs");
  std::filesystem::create_directories(prefix + "/tmp");
  std::map<std::string, std::string> vars = options.vars;
  vars["PORT"] = std::to_string(FreeTcpPort());
  vars["PREFIX"] = prefix;
  vars["MODULE"] = options.module_path;
  WriteFile(prefix + "/conf/nginx.conf", Substitute(BuildConfig(options, prefix), vars));
  RunResult r = RunNginx({"-t", "-p", prefix + "/", "-c", prefix + "/conf/nginx.conf"},
                         prefix + "/logs/check.out", std::chrono::seconds(15));
  NginxCheck check;
  check.ok = WIFEXITED(r.status) && WEXITSTATUS(r.status) == 0;
  check.output = r.output;
  if (std::getenv("SPINDLE_KEEP_TMP") == nullptr) {
    std::error_code ec;
    std::filesystem::remove_all(prefix, ec);
  }
  return check;
}

void NginxHarness::Start() {
  const std::string conf = prefix_ + "/conf/nginx.conf";
  const std::string out = prefix_ + "/logs/stderr.log";
  pid_ = fork();
  if (pid_ < 0) throw std::runtime_error("nginx harness: fork failed");
  if (pid_ == 0) {
    // Own process group, so Stop() can kill stray workers with the master.
    setpgid(0, 0);
    int fd = open(out.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd >= 0) {
      dup2(fd, 1);
      dup2(fd, 2);
    }
    execl(kNginx, kNginx, "-p", (prefix_ + "/").c_str(), "-c", conf.c_str(),
          static_cast<char*>(nullptr));
    _exit(127);
  }
  setpgid(pid_, pid_);  // also from the parent, to win the race with kill()
  auto deadline = std::chrono::steady_clock::now() + options_.start_timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      throw std::runtime_error("nginx harness: nginx exited at start:\n" + StartupOutput() +
                               ErrorLog());
    }
    if (Accepting()) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  throw std::runtime_error("nginx harness: nginx did not accept on port " +
                           std::to_string(port_) + " in time:\n" + StartupOutput() +
                           ErrorLog());
}

bool NginxHarness::Accepting() const {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(port_);
  bool ok = connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  close(fd);
  return ok;
}

std::string NginxHarness::ErrorLog() const { return ReadFile(prefix_ + "/logs/error.log"); }

std::string NginxHarness::AccessLog() const { return ReadFile(prefix_ + "/logs/access.log"); }

std::string NginxHarness::StartupOutput() const { return ReadFile(prefix_ + "/logs/stderr.log"); }

bool NginxHarness::WorkerCrashed() const {
  return ErrorLog().find("exited on signal") != std::string::npos;
}

bool NginxHarness::WaitForLog(const std::string& needle, std::chrono::milliseconds timeout) const {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (ErrorLog().find(needle) != std::string::npos) return true;
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

void NginxHarness::Reload() {
  if (pid_ <= 0) throw std::runtime_error("nginx harness: reload of a stopped nginx");
  WriteConfig();
  RunResult check = RunNginx({"-t", "-p", prefix_ + "/", "-c", prefix_ + "/conf/nginx.conf"},
                             prefix_ + "/logs/reload-check.out", std::chrono::seconds(15));
  if (!WIFEXITED(check.status) || WEXITSTATUS(check.status) != 0) {
    throw std::runtime_error("nginx harness: reload config rejected:\n" + check.output);
  }
  auto count_starts = [this] {
    std::string log = ErrorLog();
    size_t n = 0;
    // "start worker process <pid>" (notice level), not "... processes".
    for (size_t pos = log.find("start worker process "); pos != std::string::npos;
         pos = log.find("start worker process ", pos + 1)) {
      n++;
    }
    return n;
  };
  const size_t before = count_starts();
  kill(pid_, SIGHUP);
  auto deadline = std::chrono::steady_clock::now() + options_.start_timeout;
  while (count_starts() < before + static_cast<size_t>(options_.worker_processes)) {
    if (std::chrono::steady_clock::now() > deadline) {
      throw std::runtime_error("nginx harness: reload did not start new workers:\n" + ErrorLog());
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

void NginxHarness::Reload(const std::string& server, const std::string& http) {
  options_.server = server;
  options_.http = http;
  Reload();
}

int NginxHarness::Stop() {
  if (pid_ <= 0) return -1;
  int status = -1;
  kill(pid_, SIGQUIT);
  auto deadline = std::chrono::steady_clock::now() + options_.stop_timeout;
  for (;;) {
    pid_t w = waitpid(pid_, &status, WNOHANG);
    if (w == pid_ || (w < 0 && errno == ECHILD)) break;
    if (std::chrono::steady_clock::now() > deadline) {
      // The whole group, so no worker outlives a killed master.
      kill(-pid_, SIGKILL);
      kill(pid_, SIGKILL);
      waitpid(pid_, &status, 0);
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  pid_ = -1;
  return status;
}

}  // namespace spindle::test
