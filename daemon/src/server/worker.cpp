// worker.cpp: see worker.hpp.
#include "server/worker.hpp"

#include <spindle/fiber.hpp>
#include <spindle/io.hpp>
#include <spindle/scheduler.hpp>

#include "observe/log_setup.hpp"
#include "observe/observe.hpp"
#include "server/accept_loop.hpp"
#include "server/admin_server.hpp"
#include "server/connection.hpp"
#include "server/draining.hpp"
#include "server/observe_hooks.hpp"
#include "server/ready_signal.hpp"
#include "server/stats.hpp"
#include "server/worker_context.hpp"

#include <spdlog/spdlog.h>

#include <signal.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <new>
#include <optional>

namespace spindle::server {
namespace {

int MakeSignalFd() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGQUIT);
  sigaddset(&set, SIGHUP);
  sigaddset(&set, SIGUSR1);
  sigprocmask(SIG_BLOCK, &set, nullptr);
  sigset_t unblock;
  sigemptyset(&unblock);
  sigaddset(&unblock, SIGCHLD);
  sigprocmask(SIG_UNBLOCK, &unblock, nullptr);
  return signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
}

// Waits for a stop signal; SIGHUP is the master's business and is ignored;
// SIGUSR1 (forwarded by the master) reopens the log file.
void SignalLoop(int sfd, Event& stop) {
  for (;;) {
    if (wait_fd(sfd, kReadable, Deadline::never()).status == WaitStatus::kCancelled) return;
    signalfd_siginfo si;
    while (read(sfd, &si, sizeof(si)) == static_cast<ssize_t>(sizeof(si))) {
      if (si.ssi_signo == SIGUSR1) {
        (void)observe::ReopenLogFile();
      } else if (si.ssi_signo != SIGHUP) {
        spdlog::info("worker received signal '{}', stopping", strsignal(si.ssi_signo));
        stop.set();
        return;
      }
    }
  }
}

// Draining closes every connection without failing a request nginx sends
// meanwhile: each answer from now on says "Connection: close" (nginx drops
// the connection instead of reusing it) and the connection closes after it;
// an idle connection is closed only once it has been quiet for
// kDrainQuiet, since nginx may be writing a request into it right now (and
// does not retry a POST that failed there).
constexpr std::chrono::milliseconds kDrainQuiet{1000};
constexpr std::chrono::milliseconds kDrainPoll{50};

void Drain(WorkerContext& ctx) {
  ctx.draining = true;
  BeginDraining();  // draining() is true; DrainWake waits end
  for (Connection* c = ctx.connections; c; c = c->next) c->BeginDrain();
  const Deadline deadline = Deadline::after(ctx.config.drain_timeout);
  while (ctx.open_connections > 0 && !deadline.passed()) {
    for (Connection* c = ctx.connections; c; c = c->next) c->CloseIfIdleFor(kDrainQuiet);
    if (ctx.open_connections == 0) break;
    (void)ctx.all_closed.wait_until(Deadline::earliest(deadline, Deadline::after(kDrainPoll)));
  }
  if (ctx.open_connections > 0) {
    spdlog::warn("worker drain_timeout passed with '{}' connections open, cancelling them",
                 ctx.open_connections);
    CloseConnections(ctx, Deadline::after(std::chrono::seconds(2)));
  }
}

void WorkerMain(const config::Config& cfg, int listen_fd, std::vector<LoadedApp>& apps,
                int sfd, BalanceSlot balance, int& exit_code) {
  Router router;
  if (std::string err = InitApps(apps, router); !err.empty()) {
    spdlog::error("worker cannot start: {}", err);
    exit_code = kExitInitFailed;
    return;
  }
  WorkerContext ctx(cfg, router);
  ctx.balance = balance;
  Event stop;
  Fiber signals = spawn([sfd, &stop] { SignalLoop(sfd, stop); }, "signals");
  Fiber acceptor = spawn([&ctx, listen_fd] { AcceptLoop(ctx, listen_fd); }, "accept");
  // Gauges every 250 ms, and the admin socket when `admin:` is set.
  WorkerObservers observers([&ctx] { return static_cast<int64_t>(ctx.admission.queued()); });
  std::optional<AdminServer> admin;
  if (AdminListenFd() >= 0) admin.emplace(cfg, AdminListenFd(), observe::Region());
  spdlog::info("worker ready with '{}' routes", router.size());
  NotifyReady();
  (void)stop.wait();
  ctx.balance.Leave();  // siblings stop deferring to a worker that no longer accepts
  ctx.balance = BalanceSlot();
  acceptor.cancel();
  acceptor.join();
  observers.Stop();
  if (admin) admin->Stop();
  AcceptRemaining(ctx, listen_fd);
  forget_fd(listen_fd);
  ::close(listen_fd);
  Drain(ctx);
  RunShutdownHooks(apps);
  signals.cancel();
  signals.join();
  const WorkerStats& s = worker_stats();
  spdlog::info("worker stopped: '{}' connections accepted, '{}' requests, '{}' cancelled, "
               "'{}' rejected, '{}' handler errors, '{}' protocol errors",
               s.connections_accepted, s.requests, s.cancelled, s.rejected, s.handler_errors,
               s.protocol_errors);
  // App fibers started in init (timers, subscribers) must not keep the
  // worker alive; the scheduler unwinds them on destruction.
  Scheduler::current()->stop();
}

}  // namespace

int RunWorker(const config::Config& cfg, int listen_fd, std::vector<LoadedApp>& apps,
              unsigned index, AcceptBalance* balance) {
  // Die with the master, but gracefully (SIGTERM drains).
  prctl(PR_SET_PDEATHSIG, SIGTERM);
  int sfd = MakeSignalFd();
  if (sfd < 0) {
    spdlog::error("worker '{}': signalfd failed: '{}'", index, std::strerror(errno));
    return 1;
  }
  signal(SIGPIPE, SIG_IGN);
  int exit_code = 0;
  {
    SchedulerOptions opts;
    opts.stack_size = cfg.stack_size;
    opts.max_fibers = cfg.max_fibers;
    opts.on_slow_slice = SlowSliceHook();  // counts slow slices by route
    opts.offload_threads = cfg.offload_threads;
    opts.max_ready_per_poll = cfg.scheduler.max_ready_per_poll;
    opts.watchdog_threshold = cfg.watchdog_threshold;
    Scheduler scheduler(opts);
    scheduler.run([&] { WorkerMain(cfg, listen_fd, apps, sfd, BalanceSlot(balance, index), exit_code); });
  }
  ::close(sfd);
  return exit_code;
}

}  // namespace spindle::server
