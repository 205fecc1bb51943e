// master.cpp: see master.hpp. The master keeps one or more generations of
// workers: the current one (respawned on crash) and, after a reload, older
// ones that drain and are forgotten once their last worker has exited.
#include "server/master.hpp"


#include "observe/log_setup.hpp"
#include "server/app_loader.hpp"
#include "server/listener.hpp"
#include "server/logging.hpp"
#include "server/observe_hooks.hpp"
#include "server/ready_signal.hpp"
#include "server/worker.hpp"

#include <spdlog/spdlog.h>
#include <systemd/sd-daemon.h>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <list>
#include <memory>
#include <vector>

namespace spindle::server {
namespace {

using SteadyClock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// Crash respawn back-off: 100 ms doubling to 5 s; a worker that lived 10 s
// resets it. New workers of a reload get kStartTimeout to say they are ready.
constexpr milliseconds kBackoffMin{100};
constexpr milliseconds kBackoffMax{5000};
constexpr std::chrono::seconds kBackoffReset{10};
constexpr std::chrono::seconds kStartTimeout{30};
constexpr std::chrono::seconds kKillGrace{3};

struct WorkerSlot {
  pid_t pid = 0;
  int ready_fd = -1;  // read end of the worker's ready pipe, until it speaks
  bool ready = false;
  bool pending = false;  // respawn due at respawn_at
  SteadyClock::time_point started{};
  SteadyClock::time_point respawn_at{};
  milliseconds backoff = kBackoffMin;
};

struct Generation {
  unsigned number = 0;
  std::shared_ptr<const config::Config> cfg;
  std::vector<LoadedApp> apps;
  ListenResult listener;     // shared with the next generation when unchanged
  bool owns_listener = true; // close (and unlink) it when this generation ends
  std::vector<WorkerSlot> slots;
  // Shared with the generation's workers: their open connections, so that
  // connections spread over them (accept_balance.hpp).
  std::unique_ptr<AcceptBalance, void (*)(AcceptBalance*)> balance{nullptr, &AcceptBalance::Destroy};
  bool draining = false;
  SteadyClock::time_point kill_at{};  // draining: SIGKILL what is left then
  bool killed = false;

  size_t Alive() const {
    return std::count_if(slots.begin(), slots.end(), [](const WorkerSlot& s) { return s.pid > 0; });
  }
  bool AllReady() const {
    return std::all_of(slots.begin(), slots.end(), [](const WorkerSlot& s) { return s.ready; });
  }
};

bool SameAddress(const config::ListenConfig& a, const config::ListenConfig& b) {
  return a.path == b.path && a.host == b.host && a.port == b.port;
}

class Master {
 public:
  explicit Master(const config::Config& cfg) : config_path_(cfg.file) {
    auto gen = std::make_unique<Generation>();
    gen->number = 1;
    gen->cfg = std::make_shared<const config::Config>(cfg);
    current_ = gen.get();
    gens_.push_back(std::move(gen));
  }

  int Run() {
    const config::Config& cfg = *current_->cfg;
    if (std::string err = LoadApps(cfg.apps, current_->apps); !err.empty()) {
      spdlog::error("spindled cannot start: {}", err);
      return 1;
    }
    RaiseFileLimit(cfg);
    sfd_ = BlockSignals();
    const config::ListenConfig* admin = cfg.observe.admin ? &*cfg.observe.admin : nullptr;
    current_->listener = OpenStartListener(cfg.listen, admin);
    if (current_->listener.fd < 0) {
      spdlog::error("spindled cannot listen on '{}': {}", cfg.listen.Describe(),
                    current_->listener.error);
      return 1;
    }
    spdlog::info("spindled '{}' listening on '{}'{} with '{}' workers", SPINDLE_VERSION_STRING,
                 cfg.listen.Describe(), current_->listener.inherited ? " (from systemd)" : "",
                 cfg.EffectiveWorkers());
    if (std::string err; !SetUpObservability(cfg, &err)) {
      spdlog::error("spindled cannot set up metrics: {}", err);
      return 1;
    }
    StartGeneration(*current_);
    starting_ = current_;
    Loop();
    spdlog::info("spindled stopped");
    return exit_code_;
  }

 private:
  // Every connection from nginx is an fd: take the whole hard limit, and say
  // so when even that cannot hold max_connections.
  static void RaiseFileLimit(const config::Config& cfg) {
    rlimit rl{};
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0) return;
    if (rl.rlim_cur < rl.rlim_max) {
      rl.rlim_cur = rl.rlim_max;
      setrlimit(RLIMIT_NOFILE, &rl);
    }
    if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < cfg.max_connections + 64) {
      spdlog::warn("master: open file limit '{}' is below max_connections '{}' (raise "
                   "LimitNOFILE / ulimit -n)", rl.rlim_cur, cfg.max_connections);
    }
  }

  static int BlockSignals() {
    sigset_t set;
    sigemptyset(&set);
    for (int s : {SIGTERM, SIGINT, SIGQUIT, SIGHUP, SIGUSR1, SIGCHLD}) sigaddset(&set, s);
    sigprocmask(SIG_BLOCK, &set, nullptr);
    signal(SIGPIPE, SIG_IGN);
    return signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
  }

  // ---- workers ----------------------------------------------------------

  void StartGeneration(Generation& gen) {
    gen.slots.resize(gen.cfg->EffectiveWorkers());
    gen.balance.reset(AcceptBalance::Create(static_cast<unsigned>(gen.slots.size())));
    for (unsigned i = 0; i < gen.slots.size(); ++i) Spawn(gen, i);
  }

  void Spawn(Generation& gen, unsigned i) {
    WorkerSlot& slot = gen.slots[i];
    int pipefd[2];
    if (pipe2(pipefd, O_CLOEXEC) != 0) pipefd[0] = pipefd[1] = -1;
    pid_t pid = fork();
    if (pid < 0) {
      spdlog::error("master fork failed: '{}', retrying in 1s", std::strerror(errno));
      if (pipefd[0] >= 0) {
        ::close(pipefd[0]);
        ::close(pipefd[1]);
      }
      slot.pending = true;
      slot.respawn_at = SteadyClock::now() + std::chrono::seconds(1);
      return;
    }
    if (pid == 0) RunChild(gen, i, pipefd[1]);
    if (pipefd[1] >= 0) ::close(pipefd[1]);
    slot.pid = pid;
    slot.ready_fd = pipefd[0];
    slot.ready = pipefd[0] < 0;  // without a pipe, trust the worker
    slot.pending = false;
    slot.started = SteadyClock::now();
    spdlog::info("master started worker '{}' pid '{}' (generation '{}')", i, pid, gen.number);
  }

  [[noreturn]] void RunChild(Generation& gen, unsigned i, int ready_fd) {
    ::close(sfd_);
    for (auto& g : gens_) {
      for (auto& s : g->slots) {
        if (s.ready_fd >= 0) ::close(s.ready_fd);
      }
      // Older generations' listeners belong to their own workers.
      if (g.get() != &gen && g->listener.fd >= 0 && g->listener.fd != gen.listener.fd) {
        ::close(g->listener.fd);
      }
    }
    // NotifyAccess=main: only the master talks to systemd.
    unsetenv("NOTIFY_SOCKET");
    SetReadyFd(ready_fd);
    AttachObservability(gen.number, i);
    _exit(RunWorker(*gen.cfg, gen.listener.fd, gen.apps, i, gen.balance.get()));
  }

  void OnReadyPipe(WorkerSlot& slot) {
    char byte;
    ssize_t n = read(slot.ready_fd, &byte, 1);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) return;
    ::close(slot.ready_fd);
    slot.ready_fd = -1;
    if (n == 1) slot.ready = true;  // EOF: the worker died; SIGCHLD tells us
  }

  void Reap() {
    int status = 0;
    pid_t pid;
    while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
      for (auto& gen : gens_) {
        for (unsigned i = 0; i < gen->slots.size(); ++i) {
          WorkerSlot& s = gen->slots[i];
          if (s.pid != pid) continue;
          s.pid = 0;
          if (s.ready_fd >= 0) ::close(s.ready_fd);
          s.ready_fd = -1;
          OnWorkerExit(*gen, i, pid, status);
        }
      }
    }
  }

  void OnWorkerExit(Generation& gen, unsigned i, pid_t pid, int status) {
    WorkerSlot& slot = gen.slots[i];
    // A worker that died holding connections left its count behind: its
    // siblings must not defer to it until its replacement claims the slot.
    if (gen.balance) gen.balance->Vacate(i);
    bool expected = stopping_ || gen.draining;
    if (WIFSIGNALED(status)) {
      spdlog::log(expected ? spdlog::level::info : spdlog::level::err,
                  "master: worker '{}' pid '{}' killed by signal '{}'", i, pid,
                  strsignal(WTERMSIG(status)));
    } else {
      int code = WEXITSTATUS(status);
      spdlog::log(expected || code == 0 ? spdlog::level::info : spdlog::level::err,
                  "master: worker '{}' pid '{}' exited with status '{}'", i, pid, code);
    }
    if (expected) return;
    bool init_failed = WIFEXITED(status) && WEXITSTATUS(status) == kExitInitFailed;
    if (&gen == starting_ && &gen != current_ && !slot.ready) {
      // A worker of a reload died before it was ready: keep the old ones.
      AbortReload(init_failed ? "apps failed to initialise" : "a new worker died while starting");
      return;
    }
    if (init_failed) {
      spdlog::error("master: apps failed to initialise, stopping spindled");
      exit_code_ = 1;
      BeginStop(SIGTERM);
      return;
    }
    // Crash loop protection: back off, doubling, reset by a long life.
    if (SteadyClock::now() - slot.started >= kBackoffReset) slot.backoff = kBackoffMin;
    spdlog::warn("master: respawning worker '{}' in '{}ms'", i, slot.backoff.count());
    slot.pending = true;
    slot.ready = false;
    slot.respawn_at = SteadyClock::now() + slot.backoff;
    slot.backoff = std::min(slot.backoff * 2, kBackoffMax);
  }

  // ---- reload -------------------------------------------------------------

  void BeginReload() {
    if (stopping_) return;
    if (starting_) {
      spdlog::info("master: reload requested while generation '{}' is starting, queued",
                   starting_->number);
      reload_again_ = true;
      return;
    }
    sd_notify(0, "RELOADING=1\nSTATUS=reloading the configuration");
    spdlog::info("master: reloading '{}'", config_path_);
    auto loaded = config::LoadFile(config_path_);
    if (!loaded.config) {
      spdlog::error("master: reload failed, keeping the running configuration: {}", loaded.error);
      NotifyServing("reload failed, running the previous configuration");
      return;
    }
    auto gen = std::make_unique<Generation>();
    gen->number = current_->number + 1;
    gen->cfg = std::make_shared<const config::Config>(std::move(*loaded.config));
    if (std::string err = LoadApps(gen->cfg->apps, gen->apps); !err.empty()) {
      spdlog::error("master: reload failed, keeping the running configuration: {}: {}",
                    config_path_, err);
      NotifyServing("reload failed, running the previous configuration");
      return;
    }
    if (!AttachListener(*gen)) return;
    // Before the fork, so the new workers inherit the new log settings.
    if (std::string err; !SetupLogging(*gen->cfg, &err)) {
      spdlog::warn("master: reload keeps the previous log settings: {}", err);
    }
    starting_ = gen.get();
    start_deadline_ = SteadyClock::now() + kStartTimeout;
    gens_.push_back(std::move(gen));
    StartGeneration(*starting_);
  }

  // Same address (or a socket from systemd): the new workers inherit the
  // very same fd, so no connection is refused. Otherwise bind the new one
  // before the old workers stop.
  bool AttachListener(Generation& gen) {
    const config::ListenConfig& now = current_->cfg->listen;
    const config::ListenConfig& want = gen.cfg->listen;
    if (current_->listener.inherited || SameAddress(now, want)) {
      if (current_->listener.inherited && !SameAddress(now, want)) {
        spdlog::warn("master: listen address change to '{}' ignored: the socket comes from "
                     "systemd", want.Describe());
      }
      gen.listener = current_->listener;
      gen.owns_listener = false;  // handed over in FinishStart
      return true;
    }
    gen.listener = OpenListener(want);
    if (gen.listener.fd < 0) {
      spdlog::error("master: reload failed, cannot listen on '{}': {}", want.Describe(),
                    gen.listener.error);
      NotifyServing("reload failed, running the previous configuration");
      return false;
    }
    spdlog::info("master: now listening on '{}'", want.Describe());
    return true;
  }

  void FinishStart() {
    Generation* gen = starting_;
    starting_ = nullptr;
    if (gen != current_) {
      if (gen->listener.fd == current_->listener.fd) {
        gen->owns_listener = current_->owns_listener;
        current_->owns_listener = false;
      }
      Drain(*current_);
      current_ = gen;
      spdlog::info("master: reload done, generation '{}' serving", gen->number);
    }
    NotifyServing("serving");
    if (reload_again_) {
      reload_again_ = false;
      BeginReload();
    }
  }

  void AbortReload(const std::string& why) {
    Generation* gen = starting_;
    starting_ = nullptr;
    spdlog::error("master: reload failed ({}), keeping generation '{}'", why, current_->number);
    Drain(*gen);
    NotifyServing("reload failed, running the previous configuration");
  }

  void Drain(Generation& gen) {
    gen.draining = true;
    gen.kill_at = SteadyClock::now() + gen.cfg->drain_timeout + kKillGrace;
    for (auto& s : gen.slots) {
      s.pending = false;
      if (s.pid > 0) kill(s.pid, SIGTERM);
    }
  }

  // Forgets drained generations whose workers are all gone.
  void CollectDrained() {
    for (auto it = gens_.begin(); it != gens_.end();) {
      Generation& g = **it;
      if (!g.draining || g.Alive() > 0 || &g == current_) {
        ++it;
        continue;
      }
      if (g.owns_listener && g.listener.fd >= 0) {
        ::close(g.listener.fd);
        RemoveListener(g.cfg->listen, g.listener);
      }
      spdlog::info("master: generation '{}' has drained", g.number);
      it = gens_.erase(it);
    }
  }

  void NotifyServing(const std::string& what) {
    sd_notifyf(0, "READY=1\nSTATUS=%s: %zu workers, generation %u", what.c_str(),
               current_->slots.size(), current_->number);
  }

  // ---- stop -----------------------------------------------------------------

  void BeginStop(int sig) {
    if (stopping_) return;
    stopping_ = true;
    sd_notify(0, "STOPPING=1\nSTATUS=stopping");
    spdlog::info("master received signal '{}', stopping workers (drain_timeout '{}ms')",
                 strsignal(sig), current_->cfg->drain_timeout.count());
    // The socket stays open in the workers until each stops accepting; the
    // path goes now so that nobody new finds it. A socket from systemd stays.
    for (auto& g : gens_) {
      if (g->owns_listener && g->listener.fd >= 0) {
        ::close(g->listener.fd);
        RemoveListener(g->cfg->listen, g->listener);
        g->listener.fd = -1;
      }
      if (!g->draining) Drain(*g);
    }
  }

  // ---- loop -----------------------------------------------------------------

  void Loop() {
    for (;;) {
      if (stopping_ && AliveTotal() == 0) return;
      std::vector<pollfd> fds{{sfd_, POLLIN, 0}};
      std::vector<WorkerSlot*> waiting;
      for (auto& g : gens_) {
        for (auto& s : g->slots) {
          if (s.ready_fd < 0) continue;
          fds.push_back({s.ready_fd, POLLIN, 0});
          waiting.push_back(&s);
        }
      }
      int rc = poll(fds.data(), fds.size(), NextTimeoutMs());
      if (rc < 0 && errno != EINTR) {
        spdlog::critical("master poll failed: '{}'", std::strerror(errno));
        return;
      }
      for (size_t k = 1; rc > 0 && k < fds.size(); ++k) {
        if (fds[k].revents) OnReadyPipe(*waiting[k - 1]);
      }
      if (rc > 0 && fds[0].revents) ReadSignals();
      OnTimers();
      CollectDrained();
      if (starting_ && !stopping_ && starting_->AllReady()) FinishStart();
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
          BeginReload();
          break;
        case SIGUSR1:
          spdlog::info("master received SIGUSR1, reopening log files");
          (void)observe::ReopenLogFile();
          ForEachWorker([](pid_t pid) { kill(pid, SIGUSR1); });
          break;
        default:
          BeginStop(static_cast<int>(si.ssi_signo));
          break;
      }
    }
  }

  template <typename Fn>
  void ForEachWorker(Fn fn) {
    for (auto& g : gens_) {
      for (auto& s : g->slots) {
        if (s.pid > 0) fn(s.pid);
      }
    }
  }

  void OnTimers() {
    auto now = SteadyClock::now();
    for (auto& g : gens_) {
      if (g->draining && !g->killed && now >= g->kill_at) {
        g->killed = true;
        for (auto& s : g->slots) {
          if (s.pid <= 0) continue;
          spdlog::warn("master: worker pid '{}' still running after drain_timeout, killing it",
                       s.pid);
          kill(s.pid, SIGKILL);
        }
      }
      if (g->draining || stopping_) continue;
      for (unsigned i = 0; i < g->slots.size(); ++i) {
        if (g->slots[i].pending && now >= g->slots[i].respawn_at) Spawn(*g, i);
      }
    }
    if (starting_ && !stopping_ && starting_ != current_ && now >= start_deadline_) {
      AbortReload("new workers not ready in time");
    }
  }

  int NextTimeoutMs() const {
    auto now = SteadyClock::now();
    SteadyClock::time_point next = SteadyClock::time_point::max();
    for (const auto& g : gens_) {
      if (g->draining && !g->killed) next = std::min(next, g->kill_at);
      for (const auto& s : g->slots) {
        if (s.pending && !g->draining) next = std::min(next, s.respawn_at);
      }
    }
    if (starting_ && starting_ != current_) next = std::min(next, start_deadline_);
    if (next == SteadyClock::time_point::max()) return stopping_ ? 1000 : -1;
    auto ms = std::chrono::duration_cast<milliseconds>(next - now).count();
    return ms < 0 ? 0 : static_cast<int>(ms) + 1;
  }

  size_t AliveTotal() const {
    size_t n = 0;
    for (const auto& g : gens_) n += g->Alive();
    return n;
  }

  std::string config_path_;
  std::list<std::unique_ptr<Generation>> gens_;
  Generation* current_ = nullptr;   // serving; respawned on crash
  Generation* starting_ = nullptr;  // not yet all ready (start-up or reload)
  SteadyClock::time_point start_deadline_{};
  bool reload_again_ = false;
  int sfd_ = -1;
  bool stopping_ = false;
  int exit_code_ = 0;
};

}  // namespace

int RunMaster(const config::Config& cfg) { return Master(cfg).Run(); }

}  // namespace spindle::server
