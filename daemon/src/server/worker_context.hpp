// worker_context.hpp: what every connection of a worker shares: the config,
// the router, admission control, the set of open connections (for the
// max_connections limit and for draining) and scratch space for decoding.
//
// Fiber contract: owned by the worker; touched only by fibers of the
// worker's one scheduler thread, so nothing here is locked.
#pragma once

#include <spindle/router.hpp>
#include <spindle/sync.hpp>

#include "config/config.hpp"
#include "server/admission.hpp"
#include "server/observe_hooks.hpp"

#include <spindle_protocol.h>

#include <cstddef>
#include <vector>

namespace spindle::server {

class Connection;

struct WorkerContext {
  WorkerContext(const config::Config& cfg, Router& r)
      : config(cfg), router(r), admission(cfg.max_inflight),
        scratch_params(SPINDLE_MAX_FIELDS),
        scratch_headers(SPINDLE_MAX_FIELDS) {}

  const config::Config& config;
  Router& router;
  Admission admission;
  RouteIndexCache route_index;  // matched route -> metrics route label
  bool draining = false;

  // Open connections, an intrusive list (Connection's ctor/dtor maintain it).
  Connection* connections = nullptr;
  size_t open_connections = 0;
  AutoResetEvent room;        // set when open_connections drops below the limit
  AutoResetEvent all_closed;  // set when the last connection closes

  // REQUEST_HEAD decoding needs caller-provided field arrays; decoding never
  // suspends, so one pair per worker serves every connection. Sized to the
  // protocol's ceiling: a head over limits.max_headers still decodes, and is
  // answered 431 instead of being taken for a malformed frame.
  std::vector<spindle_field_t> scratch_params;
  std::vector<spindle_field_t> scratch_headers;
};

}  // namespace spindle::server
