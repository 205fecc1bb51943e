// admin_pages.hpp: the pages the admin socket serves, rendered from the
// shared metrics region: /metrics (Prometheus text; ?per_worker=1 adds a
// worker label), /status (JSON) and /status.txt (a text table). The server
// (server/admin_server.hpp) serves them over spindle frames and plain HTTP;
// this file only renders.
//
// No thread or fiber contract: reads the region with relaxed atomics, never
// suspends.
#pragma once

#include "observe/metrics_region.hpp"

#include <span>
#include <string>
#include <string_view>

namespace spindle::observe {

struct AdminPage {
  std::string_view path;          // "/metrics"
  std::string_view content_type;  // of the rendered body
  std::string (*render)(const MetricsRegion& region, std::string_view query);
};

std::span<const AdminPage> AdminPages();
// The page at `path` (no query string), or nullptr.
const AdminPage* FindAdminPage(std::string_view path);

}  // namespace spindle::observe
