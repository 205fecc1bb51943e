// admin_connection.hpp: one admin connection: sniffs the first byte, then
// serves keep-alive requests in plain HTTP/1.1 or in spindle frames until the
// peer closes, a request is malformed, or a deadline passes. Closes the fd.
//
// Fiber contract: runs in its own fiber on a scheduler thread; every read and
// write may suspend and is bounded by AdminOptions::io_timeout; cancellation
// of the fiber ends the connection.
#pragma once

#include "observe/admin_listener.hpp"
#include "observe/metrics_region.hpp"

namespace spindle::observe {

void ServeAdminConnection(int fd, const MetricsRegion& region, const AdminOptions& options);

}  // namespace spindle::observe
