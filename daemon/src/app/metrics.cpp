// metrics.cpp: the app metrics API (<spindle/metrics.hpp>) on the shared
// metrics region (observe/metrics_region.hpp): validates the name and help,
// claims the table entry and hands out a pointer to this worker's cell.
//
// Thread/fiber contract: registration never suspends (a lock-free scan of the
// shared table); recording is relaxed atomics on shared memory.
#include <spindle/metrics.hpp>

#include "observe/observe.hpp"

#include <cmath>
#include <stdexcept>
#include <string>

namespace spindle {
namespace {

using observe::AppMetricClaim;
using observe::AppMetricKind;

constexpr std::string_view kReservedPrefix = "spindle_";

std::string Quoted(std::string_view s) { return "'" + std::string(s) + "'"; }

bool NameStart(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':';
}

bool NameChar(char c) { return NameStart(c) || (c >= '0' && c <= '9'); }

std::string_view KindName(AppMetricKind kind) {
  switch (kind) {
    case AppMetricKind::kCounter: return "counter";
    case AppMetricKind::kGauge: return "gauge";
    case AppMetricKind::kHistogram: return "histogram";
  }
  return "metric";
}

// Throws std::invalid_argument naming what is wrong with `name` or `help`.
void Validate(AppMetricKind kind, std::string_view name, std::string_view help) {
  const std::string what = "metrics: " + std::string(KindName(kind)) + " ";
  if (name.empty()) throw std::invalid_argument(what + "name is empty");
  if (name.size() >= observe::kAppMetricNameMax) {
    throw std::invalid_argument(what + "name is longer than " +
                                std::to_string(observe::kAppMetricNameMax - 1) + " bytes");
  }
  bool ok = NameStart(name[0]);
  for (char c : name) ok = ok && NameChar(c);
  if (!ok) {
    throw std::invalid_argument(what + "name " + Quoted(name) +
                                " does not match [a-zA-Z_:][a-zA-Z0-9_:]*");
  }
  if (name.substr(0, kReservedPrefix.size()) == kReservedPrefix) {
    throw std::invalid_argument(what + Quoted(name) +
                                ": names starting with 'spindle_' are spindled's own");
  }
  if (kind == AppMetricKind::kCounter &&
      (name.size() < 6 || name.substr(name.size() - 6) != "_total")) {
    throw std::invalid_argument(what + Quoted(name) + ": a counter's name ends in '_total'");
  }
  if (help.empty()) throw std::invalid_argument(what + Quoted(name) + ": help is empty");
  if (help.size() >= observe::kAppMetricHelpMax) {
    throw std::invalid_argument(what + Quoted(name) + ": help is longer than " +
                                std::to_string(observe::kAppMetricHelpMax - 1) + " bytes");
  }
  for (char c : help) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) {
      throw std::invalid_argument(what + Quoted(name) +
                                  ": help contains a control character (one line of text)");
    }
  }
}

// Validates, then claims the table entry; the worker's slot and the index,
// or nullopt-like {nullptr} outside a worker with a slot.
struct Claimed {
  observe::MetricsRegion* region = nullptr;
  unsigned worker = 0;
  uint32_t index = 0;
};

Claimed Register(AppMetricKind kind, std::string_view name, std::string_view help) {
  Validate(kind, name, help);
  observe::Recorder* rec = observe::CurrentRecorder();
  if (!rec) return {};
  observe::MetricsRegion& region = rec->region();
  const AppMetricClaim c = region.RegisterAppMetric(kind, name, help);
  const std::string what = "metrics: " + std::string(KindName(kind)) + " " + Quoted(name);
  switch (c.status) {
    case AppMetricClaim::kOk:
      return {&region, rec->worker(), c.index};
    case AppMetricClaim::kFull:
      throw std::length_error(what + ": the app metrics table is full (" +
                              std::to_string(region.max_app_metrics()) +
                              " metrics); raise metrics.max_app_metrics in spindled.yaml");
    case AppMetricClaim::kTooLong:
      break;  // Validate() refused it already
    case AppMetricClaim::kKindMismatch:
      throw std::invalid_argument(what + " is already registered as a " +
                                  std::string(KindName(region.AppMetricKindAt(c.index))));
    case AppMetricClaim::kHelpMismatch:
      throw std::invalid_argument(what + " is already registered with the help " +
                                  Quoted(region.AppMetricHelp(c.index)));
    case AppMetricClaim::kSeriesClash:
      throw std::invalid_argument(what + " clashes with the histogram series of " +
                                  Quoted(region.AppMetricName(c.index)));
  }
  throw std::invalid_argument(what + ": name or help too long");
}

}  // namespace

namespace metrics {

Counter counter(std::string_view name, std::string_view help) {
  Claimed c = Register(AppMetricKind::kCounter, name, help);
  return c.region ? Counter(&c.region->AppCounter(c.worker, c.index)) : Counter();
}

Gauge gauge(std::string_view name, std::string_view help) {
  Claimed c = Register(AppMetricKind::kGauge, name, help);
  return c.region ? Gauge(&c.region->AppGauge(c.worker, c.index)) : Gauge();
}

Histogram histogram(std::string_view name, std::string_view help) {
  Claimed c = Register(AppMetricKind::kHistogram, name, help);
  return c.region ? Histogram(&c.region->AppHistogram(c.worker, c.index)) : Histogram();
}

}  // namespace metrics

void Histogram::observe(double seconds) const noexcept {
  if (!cell_) return;
  // Clamped (~31 years) so that one absurd value cannot wrap the sum.
  constexpr double kMaxUs = 1e15;
  const double us = seconds * 1e6;
  observe_us(!(us > 0) ? 0 : us >= kMaxUs ? static_cast<uint64_t>(kMaxUs)
                                          : static_cast<uint64_t>(std::llround(us)));
}

void Histogram::observe_us(uint64_t microseconds) const noexcept {
  if (cell_) static_cast<observe::SharedHistogram*>(cell_)->Record(microseconds);
}

}  // namespace spindle
