// status.cpp: see status.hpp.
#include "observe/status.hpp"

#include <algorithm>
#include <cstdio>
#include <vector>

namespace spindle::observe {
namespace {

struct Slow {
  const WorkerSnapshot* w;
  InflightSnapshot r;
};

std::vector<Slow> SlowestInflight(const RegionSnapshot& snap, size_t n) {
  std::vector<Slow> all;
  for (const WorkerSnapshot& w : snap.workers) {
    for (const InflightSnapshot& r : w.inflight_requests) all.push_back({&w, r});
  }
  std::stable_sort(all.begin(), all.end(),
                   [](const Slow& a, const Slow& b) { return a.r.age_seconds > b.r.age_seconds; });
  if (all.size() > n) all.resize(n);
  return all;
}

std::string Route(const RegionSnapshot& snap, uint32_t route) {
  return route < snap.routes.size() ? snap.routes[route].Joined() : "(other)";
}

double Millis(double seconds) { return static_cast<double>(static_cast<int64_t>(seconds * 1e4)) / 10; }

std::string HumanBytes(int64_t b) {
  char buf[32];
  if (b >= (int64_t{1} << 20)) std::snprintf(buf, sizeof buf, "%.1fMiB", b / 1048576.0);
  else if (b >= 1024) std::snprintf(buf, sizeof buf, "%.1fKiB", b / 1024.0);
  else std::snprintf(buf, sizeof buf, "%lldB", static_cast<long long>(b));
  return buf;
}

std::string HumanAge(double s) {
  char buf[32];
  if (s >= 1) std::snprintf(buf, sizeof buf, "%.3fs", s);
  else std::snprintf(buf, sizeof buf, "%.1fms", s * 1e3);
  return buf;
}

nlohmann::json WorkerJson(const RegionSnapshot& snap, const WorkerSnapshot& w) {
  nlohmann::json requests = nlohmann::json::array();
  for (const InflightSnapshot& r : w.inflight_requests) {
    requests.push_back({{"route", Route(snap, r.route)}, {"age_ms", Millis(r.age_seconds)}});
  }
  nlohmann::json j = {
      {"worker", w.index},
      {"pid", w.pid},
      {"alive", w.alive},
      {"starts", w.starts},
      {"attached_unix_ms", w.attached_unix_ms},
      {"inflight_untracked", std::max<int64_t>(0, w.inflight - static_cast<int64_t>(requests.size()))},
      {"slow_slices", w.slow_slices},
      {"requests", std::move(requests)},
  };
  // The scalar rows of metrics_table.hpp marked in_status, under their field.
#define SPINDLE_STATUS_FIELD(kind, field, name, in_status, help) \
  if constexpr (in_status) j[#field] = w.field;
  SPINDLE_SCALAR_METRICS(SPINDLE_STATUS_FIELD)
#undef SPINDLE_STATUS_FIELD
  if (w.slow_slices > 0) {
    j["last_slow_slice"] = {{"route", Route(snap, w.last_slow_route)},
                            {"ms", w.last_slow_ms},
                            {"unix_ms", w.last_slow_unix_ms}};
  }
  return j;
}

}  // namespace

nlohmann::json StatusJson(const RegionSnapshot& snap, const StatusOptions& options) {
  nlohmann::json workers = nlohmann::json::array();
  for (const WorkerSnapshot& w : snap.workers) workers.push_back(WorkerJson(snap, w));
  nlohmann::json slowest = nlohmann::json::array();
  for (const Slow& s : SlowestInflight(snap, options.slowest)) {
    slowest.push_back({{"worker", s.w->index},
                       {"pid", s.w->pid},
                       {"route", Route(snap, s.r.route)},
                       {"age_ms", Millis(s.r.age_seconds)}});
  }
  WorkerSnapshot t = snap.Total();
  return {{"taken_unix_ms", snap.taken_unix_ms},
          {"totals",
           {{"inflight", t.inflight},
            {"queue_depth", t.queue_depth},
            {"connections_open", t.connections_open},
            {"requests", t.latency.Count()},
            {"slow_slices", t.slow_slices}}},
          {"workers", std::move(workers)},
          {"slowest", std::move(slowest)}};
}

std::string StatusText(const RegionSnapshot& snap, const StatusOptions& options) {
  std::string out;
  char line[256];
  std::snprintf(line, sizeof line, "%-6s %-8s %-5s %6s %8s %6s %6s %7s %10s %5s %9s\n", "WORKER",
                "PID", "ALIVE", "STARTS", "INFLIGHT", "QUEUED", "CONNS", "FIBERS", "STACK",
                "SLOW", "REQUESTS");
  out += line;
  for (const WorkerSnapshot& w : snap.workers) {
    std::snprintf(line, sizeof line, "%-6u %-8lld %-5s %6llu %8lld %6lld %6lld %7lld %10s %5llu %9llu\n",
                  w.index, static_cast<long long>(w.pid), w.alive ? "yes" : "no",
                  static_cast<unsigned long long>(w.starts), static_cast<long long>(w.inflight),
                  static_cast<long long>(w.queue_depth), static_cast<long long>(w.connections_open),
                  static_cast<long long>(w.fibers_alive), HumanBytes(w.stack_bytes).c_str(),
                  static_cast<unsigned long long>(w.slow_slices),
                  static_cast<unsigned long long>(w.latency.Count()));
    out += line;
  }
  std::vector<Slow> slowest = SlowestInflight(snap, options.slowest);
  out += "\nSLOWEST IN-FLIGHT REQUESTS\n";
  if (slowest.empty()) {
    out += "(none)\n";
    return out;
  }
  std::snprintf(line, sizeof line, "%-6s %-8s %10s  %s\n", "WORKER", "PID", "AGE", "ROUTE");
  out += line;
  for (const Slow& s : slowest) {
    std::snprintf(line, sizeof line, "%-6u %-8lld %10s  ", s.w->index,
                  static_cast<long long>(s.w->pid), HumanAge(s.r.age_seconds).c_str());
    out += line;
    out += Route(snap, s.r.route);
    out += '\n';
  }
  return out;
}

}  // namespace spindle::observe
