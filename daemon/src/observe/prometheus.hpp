// prometheus.hpp: renders a RegionSnapshot in the Prometheus text exposition
// format 0.0.4 (the format every Prometheus server and agent scrapes).
//
// Written by hand rather than with prometheus-cpp's TextSerializer: the
// format is a few lines per family (HELP, TYPE, samples), our values already
// live in shared memory rather than in prometheus-cpp's registry objects, and
// it saves a dependency (and its Debian package) for ~200 lines.
//
// No thread or fiber contract: a pure function of its arguments.
#pragma once

#include "observe/snapshot.hpp"

#include <string>
#include <string_view>

namespace spindle::observe {

inline constexpr std::string_view kPrometheusContentType =
    "text/plain; version=0.0.4; charset=utf-8";

struct PrometheusOptions {
  // false: one sample per series, summed over workers. true: every sample
  // also carries worker="N" (one series per worker slot).
  bool per_worker = false;
};

std::string RenderPrometheus(const RegionSnapshot& snap, const PrometheusOptions& options = {});

// Label value escaping of the text format: backslash, double quote, newline.
std::string EscapeLabelValue(std::string_view v);

}  // namespace spindle::observe
