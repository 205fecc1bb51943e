// prometheus.cpp: see prometheus.hpp. The families, their names, types and
// help texts come from metrics_table.hpp. Every family gets HELP and TYPE
// lines before its samples; counters end in _total; histograms are cumulative
// _bucket{le} series ending in +Inf, then _sum and _count. The apps' own
// families (<spindle/metrics.hpp>) follow the built-in ones, in registration
// order, with the names and help texts the apps gave.
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

  void Family(const MetricFamily& f) { Family(f.name, f.type, f.help); }

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
  template <class T>
  void Scalar(std::string_view name, std::string_view type, std::string_view help,
              const T WorkerSnapshot::*member) {
    Family(name, type, help);
    for (const View& v : views_) Sample(name, v, {}, std::to_string((*v.w).*member));
  }

  void Histogram(const MetricFamily& f, const HistogramSnapshot WorkerSnapshot::*member) {
    Family(f);
    for (const View& v : views_) HistogramSamples(f.name, v, (*v.w).*member);
  }

  // The cumulative buckets, _sum and _count of one histogram in one view.
  void HistogramSamples(std::string_view name, const View& v, const HistogramSnapshot& h) {
    const std::string bucket = std::string(name) + "_bucket";
    uint64_t cumulative = 0;
    for (size_t i = 0; i < kBucketSlots; ++i) {
      cumulative += h.buckets[i];
      std::string le = i < kBucketLabels.size() ? std::string(kBucketLabels[i]) : "+Inf";
      Sample(bucket, v, {{"le", le}}, std::to_string(cumulative));
    }
    Sample(std::string(name) + "_sum", v, {}, FormatDouble(static_cast<double>(h.sum_us) / 1e6));
    Sample(std::string(name) + "_count", v, {}, std::to_string(cumulative));
  }

  const std::vector<View>& views() const { return views_; }
  std::string Take() { return std::move(out_); }

 private:
  std::vector<View> views_;
  std::string out_;
};

void RenderRequests(Writer& wr, const RegionSnapshot& snap) {
  wr.Family(kRequestsFamily);
  for (const View& v : wr.views()) {
    for (uint32_t r = 0; r < snap.routes.size(); ++r) {
      for (size_t b = 0; b < kStatusBuckets; ++b) {
        uint64_t n = v.w->RequestCount(r, b);
        if (n == 0) continue;
        std::string code = b == kStatusOther ? "other" : std::to_string(kStatusCodes[b]);
        wr.Sample(kRequestsFamily.name, v,
                  {{"method", snap.routes[r].method}, {"route", snap.routes[r].pattern},
                   {"code", code}},
                  std::to_string(n));
      }
    }
  }
}

void RenderWatchdog(Writer& wr, const RegionSnapshot& snap) {
  wr.Family(kSlowSlicesFamily);
  for (const View& v : wr.views()) {
    for (uint32_t r = 0; r < snap.routes.size(); ++r) {
      uint64_t n = v.w->slow_by_route[r];
      if (n == 0) continue;
      wr.Sample(kSlowSlicesFamily.name, v,
                {{"method", snap.routes[r].method}, {"route", snap.routes[r].pattern}},
                std::to_string(n));
    }
  }
  wr.Family(kSlowSliceSecondsFamily);
  for (const View& v : wr.views()) {
    wr.Sample(kSlowSliceSecondsFamily.name, v, {},
              FormatDouble(static_cast<double>(v.w->slow_slice_ms) / 1e3));
  }
}

// The scalar rows of metrics_table.hpp, one unlabelled sample per view.
void RenderScalars(Writer& wr) {
#define SPINDLE_RENDER_SCALAR(kind, field, name, in_status, help) \
  wr.Scalar(name, PrometheusType(MetricKind::kind), help, &WorkerSnapshot::field);
  SPINDLE_SCALAR_METRICS(SPINDLE_RENDER_SCALAR)
#undef SPINDLE_RENDER_SCALAR
}

void RenderWorkers(Writer& wr, const RegionSnapshot& snap) {
  wr.Family(kWorkerInfoFamily);
  for (const WorkerSnapshot& w : snap.workers) {
    View v{&w, std::to_string(w.index)};
    wr.Sample(kWorkerInfoFamily.name, v, {{"pid", std::to_string(w.pid)}}, w.alive ? "1" : "0");
  }
  wr.Family(kWorkerStartsFamily);
  for (const WorkerSnapshot& w : snap.workers) {
    View v{&w, std::to_string(w.index)};
    wr.Sample(kWorkerStartsFamily.name, v, {}, std::to_string(w.starts));
  }
}

void RenderAppMetrics(Writer& wr, const RegionSnapshot& snap) {
  for (size_t i = 0; i < snap.app_metrics.size(); ++i) {
    const AppMetricInfo& m = snap.app_metrics[i];
    switch (m.kind) {
      case AppMetricKind::kCounter:
        wr.Family(m.name, "counter", m.help);
        for (const View& v : wr.views()) {
          wr.Sample(m.name, v, {}, std::to_string(v.w->app_metrics[i].counter));
        }
        break;
      case AppMetricKind::kGauge:
        wr.Family(m.name, "gauge", m.help);
        for (const View& v : wr.views()) {
          wr.Sample(m.name, v, {}, std::to_string(v.w->app_metrics[i].gauge));
        }
        break;
      case AppMetricKind::kHistogram:
        wr.Family(m.name, "histogram", m.help);
        for (const View& v : wr.views()) {
          wr.HistogramSamples(m.name, v, v.w->app_metrics[i].histogram);
        }
        break;
    }
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
  // The order of kMetricFamilies.
  RenderRequests(wr, snap);
  wr.Histogram(kLatencyFamily, &WorkerSnapshot::latency);
  wr.Histogram(kQueueWaitFamily, &WorkerSnapshot::queue_wait);
  RenderScalars(wr);
  RenderWatchdog(wr, snap);
  RenderWorkers(wr, snap);
  RenderAppMetrics(wr, snap);
  return wr.Take();
}

}  // namespace spindle::observe
