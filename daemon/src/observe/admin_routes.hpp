// admin_routes.hpp: what the admin listener answers, independent of the
// transport (plain HTTP or spindle frames): GET/HEAD /metrics (Prometheus
// text; ?per_worker=1 adds a worker label), /status (JSON), /status.txt
// (text table). Anything else is 404, other methods 405.
//
// No thread or fiber contract: reads the region with relaxed atomics, never
// suspends.
#pragma once

#include "observe/metrics_region.hpp"

#include <string>
#include <string_view>

namespace spindle::observe {

struct AdminReply {
  int status = 200;
  std::string content_type;
  std::string body;  // the body for GET; HEAD sends its length only
  std::string allow;  // set for 405
};

AdminReply HandleAdminRequest(const MetricsRegion& region, std::string_view method,
                              std::string_view target);

const char* AdminReason(int status);

}  // namespace spindle::observe
