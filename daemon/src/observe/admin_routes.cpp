// admin_routes.cpp: see admin_routes.hpp.
#include "observe/admin_routes.hpp"

#include "observe/prometheus.hpp"
#include "observe/snapshot.hpp"
#include "observe/status.hpp"

namespace spindle::observe {
namespace {

// True when the query string has `key=1`, `key=true` or a bare `key`.
bool QueryFlag(std::string_view query, std::string_view key) {
  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view part = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    size_t eq = part.find('=');
    if (part.substr(0, eq) != key) continue;
    if (eq == std::string_view::npos) return true;
    std::string_view v = part.substr(eq + 1);
    return v == "1" || v == "true" || v == "yes";
  }
  return false;
}

}  // namespace

const char* AdminReason(int status) {
  switch (status) {
    case 200: return "OK";
    case 400: return "Bad Request";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 413: return "Payload Too Large";
    case 431: return "Request Header Fields Too Large";
    case 505: return "HTTP Version Not Supported";
    default: return "Error";
  }
}

AdminReply HandleAdminRequest(const MetricsRegion& region, std::string_view method,
                              std::string_view target) {
  size_t q = target.find('?');
  std::string_view path = target.substr(0, q);
  std::string_view query = q == std::string_view::npos ? std::string_view() : target.substr(q + 1);
  AdminReply r;
  const bool known = path == "/metrics" || path == "/status" || path == "/status.txt";
  if (!known) {
    r.status = 404;
    r.content_type = "text/plain; charset=utf-8";
    r.body = "not found; try /metrics, /status or /status.txt\n";
    return r;
  }
  if (method != "GET" && method != "HEAD") {
    r.status = 405;
    r.allow = "GET, HEAD";
    r.content_type = "text/plain; charset=utf-8";
    r.body = "method not allowed\n";
    return r;
  }
  RegionSnapshot snap = TakeSnapshot(region);
  if (path == "/metrics") {
    r.content_type = std::string(kPrometheusContentType);
    r.body = RenderPrometheus(snap, PrometheusOptions{QueryFlag(query, "per_worker")});
  } else if (path == "/status") {
    r.content_type = "application/json";
    r.body = StatusJson(snap).dump(2);
    r.body += '\n';
  } else {
    r.content_type = "text/plain; charset=utf-8";
    r.body = StatusText(snap);
  }
  return r;
}

}  // namespace spindle::observe
