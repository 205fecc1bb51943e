// observe.cpp: see observe.hpp. The process-wide region and this process's
// recorder; both are set before any thread starts and read afterwards.
#include "observe/observe.hpp"

#include <spindle/scheduler.hpp>

#include <spdlog/spdlog.h>

#include <memory>
#include <optional>

namespace spindle::observe {
namespace {

std::unique_ptr<MetricsRegion> g_region;
std::optional<Recorder> g_recorder;

}  // namespace

bool CreateRegion(const RegionOptions& options, std::string* err) {
  auto region = MetricsRegion::Create(options, err);
  if (!region) return false;
  g_recorder.reset();
  g_region = std::move(region);
  spdlog::debug("metrics region of '{}' bytes for '{}' workers and '{}' routes", g_region->size(),
                options.max_workers, options.max_routes);
  return true;
}

MetricsRegion* Region() noexcept { return g_region.get(); }

bool AttachWorker(unsigned slot) {
  if (!g_region || slot >= g_region->max_workers()) {
    g_recorder.reset();
    return false;
  }
  g_region->AttachWorker(slot);
  g_recorder.emplace(*g_region, slot);
  return true;
}

Recorder* CurrentRecorder() noexcept { return g_recorder ? &*g_recorder : nullptr; }

uint32_t RegisterRoute(std::string_view method, std::string_view pattern) noexcept {
  return g_recorder ? g_recorder->RegisterRoute(method, pattern) : kRouteNone;
}

RequestToken OnRequestStart(uint32_t route) noexcept {
  return g_recorder ? g_recorder->OnRequestStart(route) : RequestToken{};
}

void OnRequestEnd(RequestToken token, const RequestEnd& end) noexcept {
  if (g_recorder) g_recorder->OnRequestEnd(token, end);
}

void OnAccept() noexcept {
  if (g_recorder) g_recorder->OnAccept();
}

void OnSpawnFailure() noexcept {
  if (g_recorder) g_recorder->OnSpawnFailure();
}

void OnConnectionClosed() noexcept {
  if (g_recorder) g_recorder->OnConnectionClosed();
}

void UpdateGauges(const GaugeSample& sample) noexcept {
  if (g_recorder) g_recorder->UpdateGauges(sample);
}

void OnSlowSlice(std::string_view fiber_name, std::chrono::milliseconds ran) noexcept {
  if (g_recorder) g_recorder->OnSlowSlice(fiber_name, ran);
}

GaugeSample SchedulerGauges() noexcept {
  GaugeSample s;
  if (Scheduler* sched = Scheduler::current()) {
    s.fibers_alive = static_cast<int64_t>(sched->fibers_alive());
    s.stack_bytes = static_cast<int64_t>(sched->stack_bytes_in_use());
  }
  return s;
}

Fiber StartGaugeSampler(std::function<GaugeSample()> sample, std::chrono::milliseconds interval) {
  return spawn(
      [sample = std::move(sample), interval] {
        do {
          UpdateGauges(sample());
        } while (this_fiber::sleep_for(interval) == WaitStatus::kOk);
      },
      "metrics gauges");
}

}  // namespace spindle::observe
