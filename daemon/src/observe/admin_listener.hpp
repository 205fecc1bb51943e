// admin_listener.hpp: the admin listener: a small fiber server on its own
// unix socket or loopback host:port that answers GET /metrics, /status and
// /status.txt (see admin_routes.hpp) from the shared metrics region.
//
// Each connection's first byte picks the protocol: 0x01 (the spindle frame
// version byte) means spindle frames, so nginx can expose the listener with
// `spindle_pass`; an ASCII letter means plain HTTP/1.1, so curl and a
// Prometheus scraper talk to it directly; anything else closes the
// connection. Requests are bounded (size, time); malformed input closes the
// connection (plain HTTP gets a 400 first).
//
// Process/fiber contract: OpenAdminListener binds in any process (the master,
// before fork, so every worker inherits the fd). StartAdminListener must run
// on a scheduler thread (in a fiber or before Scheduler::run returns); the
// accept fiber and one fiber per connection run there and never block the
// thread. Several workers may serve the same listening fd: whichever accepts
// answers, with numbers from every worker.
#pragma once

#include <spindle/fiber.hpp>

#include "observe/metrics_region.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>

namespace spindle::observe {

struct AdminListenConfig {
  // Exactly one: a unix socket path, or host (a loopback literal such as
  // 127.0.0.1 or ::1) and port. port 0 picks a free port (see BoundPort).
  std::string path;
  std::string host;
  uint16_t port = 0;
  unsigned mode = 0660;  // unix socket file mode
  int backlog = 64;
};

struct AdminOptions {
  size_t max_request_bytes = 16 * 1024;  // HTTP head, or spindle head + body
  std::chrono::milliseconds io_timeout{5000};  // per request, and idle keep-alive
  size_t max_connections = 64;  // beyond: accepted and closed at once
};

// Binds and listens (nonblocking, close-on-exec). A stale unix socket file is
// replaced. Returns the fd, or -1 with *err set. Refuses non-loopback hosts:
// the endpoint is unauthenticated.
int OpenAdminListener(const AdminListenConfig& config, std::string* err);

// The TCP port a listening fd is bound to (0 for unix sockets or on error).
uint16_t BoundPort(int listen_fd);

// Spawns the accept fiber on the current thread's scheduler and returns its
// handle. Cancel it (Fiber::cancel) to stop: it stops accepting, cancels its
// connection fibers, waits for them and ends; it does not close listen_fd.
// `region` must outlive the fiber.
Fiber StartAdminListener(int listen_fd, const MetricsRegion& region, AdminOptions options = {});

}  // namespace spindle::observe
