// master.cpp: see master.hpp.
#include "server/master.hpp"

#include "server/app_loader.hpp"
#include "server/listener.hpp"
#include "server/worker.hpp"

#include <spdlog/spdlog.h>
#include <systemd/sd-daemon.h>

#include <poll.h>
#include <sys/resource.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <vector>

namespace spindle::server {
namespace {

using SteadyClock = std::chrono::steady_clock;

struct WorkerSlot {
  pid_t pid = 0;
  SteadyClock::time_point started{};
  SteadyClock::time_point respawn_at{};  // when pid == 0 and respawn pending
  bool pending = false;
};

class Master {
 public:
  explicit Master(const config::Config& cfg) : cfg_(cfg) {}

  int Run() {
    if (std::string err = LoadApps(cfg_.apps, apps_); !err.empty()) {
      spdlog::error("spindled cannot start: {}", err);
      return 1;
    }
    RaiseFileLimit();
    sfd_ = BlockSignals();
    listener_ = OpenListener(cfg_.listen);
    if (listener_.fd < 0) {
      spdlog::error("spindled cannot listen on '{}': {}", cfg_.listen.Describe(),
                    listener_.error);
      return 1;
    }
    spdlog::info("spindled '{}' listening on '{}'{} with '{}' workers", SPINDLE_VERSION_STRING,
                 cfg_.listen.Describe(), listener_.inherited ? " (from systemd)" : "",
                 cfg_.EffectiveWorkers());
    slots_.resize(cfg_.EffectiveWorkers());
    for (unsigned i = 0; i < slots_.size(); ++i) Spawn(i);
    sd_notify(0, "READY=1");
    Loop();
    if (!stopping_) RemoveListener(cfg_.listen, listener_);
    spdlog::info("spindled stopped");
    return exit_code_;
  }

 private:
  // Every connection from nginx is an fd: take the whole hard limit, and say
  // so when even that cannot hold max_connections.
  void RaiseFileLimit() const {
    rlimit rl{};
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0) return;
    if (rl.rlim_cur < rl.rlim_max) {
      rl.rlim_cur = rl.rlim_max;
      setrlimit(RLIMIT_NOFILE, &rl);
    }
    if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < cfg_.max_connections + 64) {
      spdlog::warn("master: open file limit '{}' is below max_connections '{}' (raise "
                   "LimitNOFILE / ulimit -n)", rl.rlim_cur, cfg_.max_connections);
    }
  }

  static int BlockSignals() {
    sigset_t set;
    sigemptyset(&set);
    for (int s : {SIGTERM, SIGINT, SIGQUIT, SIGHUP, SIGCHLD}) sigaddset(&set, s);
    sigprocmask(SIG_BLOCK, &set, nullptr);
    signal(SIGPIPE, SIG_IGN);
    return signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
  }

  void Spawn(unsigned i) {
    pid_t pid = fork();
    if (pid < 0) {
      spdlog::error("master fork failed: '{}', retrying in 1s", std::strerror(errno));
      slots_[i].pending = true;
      slots_[i].respawn_at = SteadyClock::now() + std::chrono::seconds(1);
      return;
    }
    if (pid == 0) {
      ::close(sfd_);
      _exit(RunWorker(cfg_, listener_.fd, apps_, i));
    }
    slots_[i] = {pid, SteadyClock::now(), {}, false};
    spdlog::info("master started worker '{}' pid '{}'", i, pid);
  }

  void Loop() {
    for (;;) {
      if (stopping_ && Alive() == 0) return;
      int timeout = NextTimeoutMs();
      pollfd p{sfd_, POLLIN, 0};
      int rc = poll(&p, 1, timeout);
      if (rc < 0 && errno != EINTR) {
        spdlog::critical("master poll failed: '{}'", std::strerror(errno));
        return;
      }
      if (rc > 0) ReadSignals();
      OnTimers();
    }
  }

  void ReadSignals() {
    signalfd_siginfo si;
    while (read(sfd_, &si, sizeof(si)) == static_cast<ssize_t>(sizeof(si))) {
      switch (si.ssi_signo) {
        case SIGCHLD:
          Reap();
          break;
        case SIGHUP:
          spdlog::warn("master received SIGHUP: reload is not supported yet, ignoring");
          break;
        default:
          BeginStop(static_cast<int>(si.ssi_signo));
          break;
      }
    }
  }

  void BeginStop(int sig) {
    if (stopping_) return;
    stopping_ = true;
    sd_notify(0, "STOPPING=1");
    spdlog::info("master received signal '{}', stopping workers (drain_timeout '{}ms')",
                 strsignal(sig), cfg_.drain_timeout.count());
    ::close(listener_.fd);
    RemoveListener(cfg_.listen, listener_);
    kill_at_ = SteadyClock::now() + cfg_.drain_timeout + std::chrono::seconds(3);
    for (auto& s : slots_) {
      s.pending = false;
      if (s.pid > 0) kill(s.pid, SIGTERM);
    }
  }

  void Reap() {
    int status = 0;
    pid_t pid;
    while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
      for (unsigned i = 0; i < slots_.size(); ++i) {
        if (slots_[i].pid != pid) continue;
        slots_[i].pid = 0;
        OnWorkerExit(i, pid, status);
      }
    }
  }

  void OnWorkerExit(unsigned i, pid_t pid, int status) {
    if (WIFSIGNALED(status)) {
      spdlog::log(stopping_ ? spdlog::level::info : spdlog::level::err,
                  "master: worker '{}' pid '{}' killed by signal '{}'", i, pid,
                  strsignal(WTERMSIG(status)));
    } else {
      int code = WEXITSTATUS(status);
      spdlog::log(stopping_ || code == 0 ? spdlog::level::info : spdlog::level::err,
                  "master: worker '{}' pid '{}' exited with status '{}'", i, pid, code);
      if (code == kExitInitFailed && !stopping_) {
        spdlog::error("master: apps failed to initialise, stopping spindled");
        exit_code_ = 1;
        BeginStop(SIGTERM);
        return;
      }
    }
    if (stopping_) return;
    // A worker that dies right after starting is respawned after a pause so a
    // crash loop does not spin the CPU.
    auto lived = SteadyClock::now() - slots_[i].started;
    slots_[i].pending = true;
    slots_[i].respawn_at =
        lived < std::chrono::seconds(1) ? SteadyClock::now() + std::chrono::seconds(1)
                                        : SteadyClock::now();
  }

  void OnTimers() {
    auto now = SteadyClock::now();
    if (stopping_) {
      if (now >= kill_at_ && !killed_) {
        killed_ = true;
        for (auto& s : slots_) {
          if (s.pid > 0) {
            spdlog::warn("master: worker pid '{}' still running after drain_timeout, killing it",
                         s.pid);
            kill(s.pid, SIGKILL);
          }
        }
      }
      return;
    }
    for (unsigned i = 0; i < slots_.size(); ++i) {
      if (slots_[i].pending && now >= slots_[i].respawn_at) Spawn(i);
    }
  }

  int NextTimeoutMs() const {
    auto now = SteadyClock::now();
    SteadyClock::time_point next = SteadyClock::time_point::max();
    if (stopping_ && !killed_) next = kill_at_;
    for (const auto& s : slots_) {
      if (s.pending && s.respawn_at < next) next = s.respawn_at;
    }
    if (next == SteadyClock::time_point::max()) return stopping_ ? 1000 : -1;
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(next - now).count();
    return ms < 0 ? 0 : static_cast<int>(ms) + 1;
  }

  size_t Alive() const {
    size_t n = 0;
    for (const auto& s : slots_) n += s.pid > 0;
    return n;
  }

  const config::Config& cfg_;
  std::vector<LoadedApp> apps_;
  ListenResult listener_;
  std::vector<WorkerSlot> slots_;
  int sfd_ = -1;
  bool stopping_ = false;
  bool killed_ = false;
  int exit_code_ = 0;
  SteadyClock::time_point kill_at_{};
};

}  // namespace

int RunMaster(const config::Config& cfg) { return Master(cfg).Run(); }

}  // namespace spindle::server
