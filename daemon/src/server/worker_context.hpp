// worker_context.hpp: what every connection of one listening socket shares:
// the config, the router, admission control, the set of open connections
// (for the max_connections limit and for draining). A worker has one for
// the apps' socket and, when `admin:` is set, one for the admin socket
// (admin_server.hpp): the same Connection serves both.
//
// Fiber contract: owned by the worker; touched only by fibers of the
// worker's one scheduler thread, so nothing here is locked.
#pragma once

#include <spindle/router.hpp>
#include <spindle/sync.hpp>

#include "config/config.hpp"
#include "server/accept_balance.hpp"
#include "server/admission.hpp"
#include "server/observe_hooks.hpp"
#include "server/stats.hpp"

#include <cstddef>
#include <functional>
#include <string_view>

namespace spindle::server {

class Connection;

struct WorkerContext {
  WorkerContext(const config::Config& cfg, Router& r)
      : config(cfg), router(r), admission(cfg.max_inflight) {}

  const config::Config& config;
  Router& router;
  Admission admission;
  RouteIndexCache route_index;  // matched route -> metrics route label
  bool draining = false;
  // The apps' socket: its connections and requests are counted in the
  // metrics region and the worker's stats. The admin socket's are not.
  bool observed = true;
  // Set on the admin socket: a connection whose first byte is an ASCII
  // capital (an HTTP method) is handed to it, with the bytes read so far,
  // instead of being taken for a malformed frame. It owns the fd until it
  // returns; the Connection then closes it.
  std::function<void(int fd, std::string_view buffered)> plain_http;
  // The worker's stats (spindle::worker_stats()) for the apps' socket; the
  // admin socket counts apart.
  WorkerStats& stats() { return observed ? MutableStats() : unobserved_stats; }
  WorkerStats unobserved_stats;

  // Open connections, an intrusive list (Connection's ctor/dtor maintain it).
  Connection* connections = nullptr;
  size_t open_connections = 0;
  // The apps' socket: this worker's place among its siblings, so that
  // connections spread over them (accept_balance.hpp). Empty elsewhere.
  BalanceSlot balance;
  AutoResetEvent room;        // set when open_connections drops below the limit
  AutoResetEvent all_closed;  // set when the last connection closes
};

}  // namespace spindle::server
