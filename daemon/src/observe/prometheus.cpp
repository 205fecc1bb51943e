// prometheus.cpp: see prometheus.hpp. Every family gets HELP and TYPE lines
// before its samples; counters end in _total; histograms are cumulative
// _bucket{le} series ending in +Inf, then _sum and _count.
#include "observe/prometheus.hpp"

#include <charconv>
#include <cstdio>
#include <optional>
#include <utility>
#include <vector>

namespace spindle::observe {
namespace {

using Labels = std::vector<std::pair<std::string_view, std::string>>;

std::string FormatDouble(double v) {
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, r.ptr);
}

std::string EscapeHelp(std::string_view v) {
  std::string out;
  for (char c : v) {
    if (c == '\\') out += "\\\\";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
  return out;
}

// One rendered view: the summed total (no worker label) or one worker.
struct View {
  const WorkerSnapshot* w;
  std::optional<std::string> worker_label;
};

class Writer {
 public:
  explicit Writer(std::vector<View> views) : views_(std::move(views)) {}

  void Family(std::string_view name, std::string_view type, std::string_view help) {
    out_ += "# HELP ";
    out_ += name;
    out_ += ' ';
    out_ += EscapeHelp(help);
    out_ += "\n# TYPE ";
    out_ += name;
    out_ += ' ';
    out_ += type;
    out_ += '\n';
  }

  void Sample(std::string_view name, const View& v, const Labels& labels, std::string_view value) {
    out_ += name;
    bool any = v.worker_label.has_value() || !labels.empty();
    if (any) {
      out_ += '{';
      bool first = true;
      auto add = [&](std::string_view k, std::string_view val) {
        if (!first) out_ += ',';
        first = false;
        out_ += k;
        out_ += "=\"";
        out_ += EscapeLabelValue(val);
        out_ += '"';
      };
      if (v.worker_label) add("worker", *v.worker_label);
      for (const auto& [k, val] : labels) add(k, val);
      out_ += '}';
    }
    out_ += ' ';
    out_ += value;
    out_ += '\n';
  }

  // A family with one unlabelled sample per view; `get` reads the value.
  template <class Get>
  void Simple(std::string_view name, std::string_view type, std::string_view help, Get get) {
    Family(name, type, help);
    for (const View& v : views_) Sample(name, v, {}, std::to_string(get(*v.w)));
  }

  void Histogram(std::string_view name, std::string_view help,
                 const HistogramSnapshot WorkerSnapshot::*member) {
    Family(name, "histogram", help);
    const std::string bucket = std::string(name) + "_bucket";
    for (const View& v : views_) {
      const HistogramSnapshot& h = (*v.w).*member;
      uint64_t cumulative = 0;
      for (size_t i = 0; i < kBucketSlots; ++i) {
        cumulative += h.buckets[i];
        std::string le = i < kBucketLabels.size() ? std::string(kBucketLabels[i]) : "+Inf";
        Sample(bucket, v, {{"le", le}}, std::to_string(cumulative));
      }
      Sample(std::string(name) + "_sum", v, {}, FormatDouble(static_cast<double>(h.sum_us) / 1e6));
      Sample(std::string(name) + "_count", v, {}, std::to_string(cumulative));
    }
  }

  const std::vector<View>& views() const { return views_; }
  std::string Take() { return std::move(out_); }

 private:
  std::vector<View> views_;
  std::string out_;
};

void RenderRequests(Writer& wr, const RegionSnapshot& snap) {
  wr.Family("spindle_requests_total", "counter",
            "Requests finished, by route and status code (code=\"other\" for uncommon codes).");
  for (const View& v : wr.views()) {
    for (uint32_t r = 0; r < snap.routes.size(); ++r) {
      for (size_t b = 0; b < kStatusBuckets; ++b) {
        uint64_t n = v.w->RequestCount(r, b);
        if (n == 0) continue;
        std::string code = b == kStatusOther ? "other" : std::to_string(kStatusCodes[b]);
        wr.Sample("spindle_requests_total", v,
                  {{"method", snap.routes[r].method}, {"route", snap.routes[r].pattern},
                   {"code", code}},
                  std::to_string(n));
      }
    }
  }
}

void RenderWatchdog(Writer& wr, const RegionSnapshot& snap) {
  wr.Family("spindle_watchdog_slow_slices_total", "counter",
            "Fiber run slices longer than the watchdog threshold, by route (route=\"(none)\" "
            "for fibers that are not request handlers).");
  for (const View& v : wr.views()) {
    for (uint32_t r = 0; r < snap.routes.size(); ++r) {
      uint64_t n = v.w->slow_by_route[r];
      if (n == 0) continue;
      wr.Sample("spindle_watchdog_slow_slices_total", v,
                {{"method", snap.routes[r].method}, {"route", snap.routes[r].pattern}},
                std::to_string(n));
    }
  }
  wr.Family("spindle_watchdog_slow_slice_seconds_total", "counter",
            "Sum of the run times the watchdog reported.");
  for (const View& v : wr.views()) {
    wr.Sample("spindle_watchdog_slow_slice_seconds_total", v, {},
              FormatDouble(static_cast<double>(v.w->slow_slice_ms) / 1e3));
  }
}

void RenderRedis(Writer& wr) {
  static constexpr std::pair<const char*, const char*> kNames[kRedisCounterCount] = {
      {"spindle_redis_commands_total", "Redis commands sent."},
      {"spindle_redis_errors_total", "Redis calls that failed (unavailable, timeout, error reply)."},
      {"spindle_redis_timeouts_total", "Redis calls that timed out."},
      {"spindle_redis_reconnects_total", "Redis connections re-established after a loss."},
      {"spindle_redis_pool_waits_total", "Redis calls that waited for a usable connection."}};
  for (size_t i = 0; i < kRedisCounterCount; ++i) {
    wr.Simple(kNames[i].first, "counter", kNames[i].second,
              [i](const WorkerSnapshot& w) { return w.redis[i]; });
  }
  wr.Simple("spindle_redis_connections_open", "gauge", "Redis connections open now.",
            [](const WorkerSnapshot& w) { return w.redis_connections_open; });
}

void RenderWorkers(Writer& wr, const RegionSnapshot& snap) {
  wr.Family("spindle_worker_info", "gauge",
            "One series per worker slot in use: its current pid; 1 when that process is alive.");
  for (const WorkerSnapshot& w : snap.workers) {
    View v{&w, std::to_string(w.index)};
    wr.Sample("spindle_worker_info", v, {{"pid", std::to_string(w.pid)}}, w.alive ? "1" : "0");
  }
  wr.Family("spindle_worker_starts_total", "counter",
            "Processes started in each worker slot (the first start plus respawns).");
  for (const WorkerSnapshot& w : snap.workers) {
    View v{&w, std::to_string(w.index)};
    wr.Sample("spindle_worker_starts_total", v, {}, std::to_string(w.starts));
  }
}

}  // namespace

std::string EscapeLabelValue(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (char c : v) {
    if (c == '\\') out += "\\\\";
    else if (c == '"') out += "\\\"";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
  return out;
}

std::string RenderPrometheus(const RegionSnapshot& snap, const PrometheusOptions& options) {
  WorkerSnapshot total;
  std::vector<View> views;
  if (options.per_worker) {
    for (const WorkerSnapshot& w : snap.workers) views.push_back({&w, std::to_string(w.index)});
  } else {
    total = snap.Total();
    views.push_back({&total, std::nullopt});
  }
  Writer wr(std::move(views));
  RenderRequests(wr, snap);
  wr.Histogram("spindle_request_duration_seconds",
               "Request latency, from the request head to the end of the response.",
               &WorkerSnapshot::latency);
  wr.Histogram("spindle_request_queue_wait_seconds",
               "Time requests waited in the admission queue before a handler ran.",
               &WorkerSnapshot::queue_wait);
  wr.Simple("spindle_response_body_bytes_total", "counter", "Response body bytes sent.",
            [](const WorkerSnapshot& w) { return w.response_bytes; });
  wr.Simple("spindle_requests_in_flight", "gauge",
            "Requests received and not yet finished (running or queued).",
            [](const WorkerSnapshot& w) { return w.inflight; });
  wr.Simple("spindle_request_queue_depth", "gauge", "Requests waiting for admission now.",
            [](const WorkerSnapshot& w) { return w.queue_depth; });
  wr.Simple("spindle_fibers_alive", "gauge", "Fibers alive (all states).",
            [](const WorkerSnapshot& w) { return w.fibers_alive; });
  wr.Simple("spindle_fiber_stack_bytes", "gauge", "Bytes of fiber stacks in use.",
            [](const WorkerSnapshot& w) { return w.stack_bytes; });
  wr.Simple("spindle_offload_queue_depth", "gauge", "Offload jobs waiting for a pool thread.",
            [](const WorkerSnapshot& w) { return w.offload_queue; });
  RenderWatchdog(wr, snap);
  wr.Simple("spindle_connections_accepted_total", "counter",
            "Connections accepted from nginx (or other clients).",
            [](const WorkerSnapshot& w) { return w.connections_accepted; });
  wr.Simple("spindle_fiber_spawn_failures_total", "counter",
            "Fibers that could not be started (stack mapping refused or max_fibers "
            "reached): the connection was closed or the request answered 503.",
            [](const WorkerSnapshot& w) { return w.spawn_failures; });
  wr.Simple("spindle_connections_open", "gauge", "Connections open now.",
            [](const WorkerSnapshot& w) { return w.connections_open; });
  RenderRedis(wr);
  RenderWorkers(wr, snap);
  return wr.Take();
}

}  // namespace spindle::observe
