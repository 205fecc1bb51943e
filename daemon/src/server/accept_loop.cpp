// accept_loop.cpp: see accept_loop.hpp.
#include "server/accept_loop.hpp"

#include <spindle/io.hpp>

#include "observe/observe.hpp"
#include "server/connection.hpp"

#include <spdlog/spdlog.h>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <new>

namespace spindle::server {
namespace {

// nginx sends a request head and then waits: Nagle's algorithm would hold
// the small frames back for the ACK (TCP listeners only).
bool IsTcp(int listen_fd) {
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  if (getsockname(listen_fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0) return false;
  return ss.ss_family == AF_INET || ss.ss_family == AF_INET6;
}

void StartConnection(WorkerContext& ctx, int fd, bool tcp) {
  if (tcp) {
    const int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  }
  auto& stats = ctx.stats();
  ++stats.connections_accepted;
  spdlog::debug("worker accepted connection fd '{}' (accepts '{}')", fd,
                stats.connections_accepted);
  auto* conn = new Connection(ctx, fd);
  try {
    conn->reader = spawn(
        [conn] {
          conn->Run();
          delete conn;
        },
        "connection");
  } catch (const std::bad_alloc&) {
    // No stack for its fiber (max_fibers, vm.max_map_count): this
    // connection is closed before nginx sent anything on it; the worker
    // keeps accepting.
    spdlog::warn("worker closing new connection fd '{}': no fiber stack (see the line above)",
                 fd);
    if (ctx.observed) observe::OnSpawnFailure();
    delete conn;
    ::close(fd);
    ShedIdleConnections(ctx, 16);
  }
}

}  // namespace

// On a stop, connections that reached the backlog before the master removed
// the socket are taken and served (Drain keeps fresh connections until their
// first request is answered) instead of being reset with the socket.
void AcceptRemaining(WorkerContext& ctx, int listen_fd) {
  const bool tcp = IsTcp(listen_fd);
  for (;;) {
    int fd = ::accept4(listen_fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      return;
    }
    StartConnection(ctx, fd, tcp);
  }
}

// Accepts greedily: every connection waiting in the backlog is taken, so the
// kernel backlog never fills (a full backlog makes nginx answer 502 at once)
// and excess requests wait in our admission queue. After scheduler.accept_batch
// connections in a row the loop yields once, so a burst of new connections
// does not delay the requests already running.
//
// Greedy, but fair to the siblings: a worker holding clearly more
// connections than the least-loaded one gives it kDeferral to take the next
// connection. What is still waiting after that, this worker takes, up to
// kAfterDeferral connections before it checks again: a sibling that is busy
// (or not scheduled) must not let the backlog fill.
void AcceptLoop(WorkerContext& ctx, int listen_fd) {
  const bool tcp = IsTcp(listen_fd);
  constexpr size_t kAfterDeferral = 4;
  size_t batch = 0;
  size_t grace = 0;  // accepts left before the balance is checked again
  for (;;) {
    if (ctx.draining) return;
    if (batch >= ctx.config.scheduler.accept_batch) {
      batch = 0;
      this_fiber::yield();
      continue;
    }
    if (ctx.open_connections >= ctx.config.max_connections) {
      if (ctx.room.wait() == WaitStatus::kCancelled) return;
      continue;
    }
    if (grace == 0 && ctx.balance.ShouldDefer(ctx.open_connections)) {
      grace = kAfterDeferral;
      if (this_fiber::sleep_for(AcceptBalance::kDeferral) == WaitStatus::kCancelled) return;
      continue;
    }
    int fd = ::accept4(listen_fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd >= 0) {
      ++batch;
      if (grace > 0) --grace;
      StartConnection(ctx, fd, tcp);
      continue;
    }
    int err = errno;
    if (err == EAGAIN || err == EWOULDBLOCK) {
      batch = 0;
      grace = 0;
      if (wait_fd(listen_fd, kReadable, Deadline::never()).status == WaitStatus::kCancelled) {
        return;
      }
    } else if (err == EINTR || err == ECONNABORTED) {
      continue;
    } else if (err == EMFILE || err == ENFILE || err == ENOBUFS || err == ENOMEM) {
      spdlog::warn("worker accept failed: '{}', pausing for 100ms (raise LimitNOFILE "
                   "or lower max_connections)", std::strerror(err));
      if (this_fiber::sleep_for(std::chrono::milliseconds(100)) == WaitStatus::kCancelled) return;
    } else {
      spdlog::error("worker accept failed: '{}'", std::strerror(err));
      if (this_fiber::sleep_for(std::chrono::milliseconds(10)) == WaitStatus::kCancelled) return;
    }
  }
}

void CloseConnections(WorkerContext& ctx, Deadline give_up) {
  for (Connection* c = ctx.connections; c; c = c->next) c->reader.cancel();
  while (ctx.open_connections > 0 && ctx.all_closed.wait_until(give_up) == WaitStatus::kOk) {
  }
}

}  // namespace spindle::server
