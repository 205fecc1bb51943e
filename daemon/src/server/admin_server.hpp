// admin_server.hpp: the admin socket (`admin:` in spindled.yaml), served in
// every worker by the same accept loop and Connection as the apps' socket,
// with a built-in router of the admin pages (observe/admin_pages.hpp:
// /metrics, /status, /status.txt). nginx reaches it with `spindle_pass`;
// curl and Prometheus talk plain HTTP to the same socket (plain_http.hpp),
// told apart by each connection's first byte. Its connections and requests
// are not counted in the metrics they report. Limits and timeouts are the
// main config's (limits:, idle_timeout, request_timeout, max_connections).
//
// Fiber contract: constructed, stopped and destroyed in a fiber of the
// worker's scheduler thread; its accept fiber and connection fibers run
// there. Several workers serve the same listening fd: whichever accepts
// answers, with numbers from every worker.
#pragma once

#include <spindle/fiber.hpp>
#include <spindle/router.hpp>

#include "config/config.hpp"
#include "observe/metrics_region.hpp"
#include "server/plain_http.hpp"
#include "server/worker_context.hpp"

#include <string_view>

namespace spindle::server {

// The answer to `method` `target` on the admin socket: a page (GET/HEAD),
// 404, 405 with Allow, or 503 when the daemon keeps no metrics region
// (metrics.enabled: false). What both transports send.
PlainHttpReply AnswerAdminRequest(const observe::MetricsRegion* region, std::string_view method,
                                  std::string_view target);

class AdminServer {
 public:
  // Starts accepting on `listen_fd` (bound by the master; not closed here).
  // `region` (may be null) must outlive the server.
  AdminServer(const config::Config& cfg, int listen_fd, const observe::MetricsRegion* region);
  ~AdminServer() { Stop(); }
  AdminServer(const AdminServer&) = delete;
  AdminServer& operator=(const AdminServer&) = delete;

  // Stops accepting and closes every admin connection (a scrape in
  // progress is cancelled); returns once they are closed.
  void Stop();

 private:
  const observe::MetricsRegion* region_;
  Router router_;
  WorkerContext ctx_;
  Fiber acceptor_;
};

}  // namespace spindle::server
