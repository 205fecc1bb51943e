// admin_pages.cpp: see admin_pages.hpp.
#include "observe/admin_pages.hpp"

#include "observe/prometheus.hpp"
#include "observe/snapshot.hpp"
#include "observe/status.hpp"

namespace spindle::observe {
namespace {

// True when the query string has `key=1`, `key=true`, `key=yes` or a bare `key`.
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

std::string Metrics(const MetricsRegion& region, std::string_view query) {
  return RenderPrometheus(TakeSnapshot(region),
                          PrometheusOptions{QueryFlag(query, "per_worker")});
}

std::string Status(const MetricsRegion& region, std::string_view) {
  return StatusJson(TakeSnapshot(region)).dump(2) + "\n";
}

std::string StatusTable(const MetricsRegion& region, std::string_view) {
  return StatusText(TakeSnapshot(region));
}

const AdminPage kPages[] = {
    {"/metrics", kPrometheusContentType, Metrics},
    {"/status", "application/json", Status},
    {"/status.txt", "text/plain; charset=utf-8", StatusTable},
};

}  // namespace

std::span<const AdminPage> AdminPages() { return kPages; }

const AdminPage* FindAdminPage(std::string_view path) {
  for (const AdminPage& page : kPages) {
    if (page.path == path) return &page;
  }
  return nullptr;
}

}  // namespace spindle::observe
