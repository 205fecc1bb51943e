// observe_bench.cc: what observability costs: recording one request
// (OnRequestStart + OnRequestEnd on the shared region), taking a snapshot and
// rendering /metrics and /status for a realistic region (4 worker slots, 50
// routes with traffic on several status codes). Not a ctest; run by hand:
//   build-<name>/tests/observe/observe_bench
#include "observe/metrics_region.hpp"
#include "observe/prometheus.hpp"
#include "observe/recorder.hpp"
#include "observe/snapshot.hpp"
#include "observe/status.hpp"

#include <benchmark/benchmark.h>

#include <chrono>
#include <string>

namespace spindle::test {
namespace {

using namespace spindle::observe;

using namespace std::chrono_literals;

std::unique_ptr<MetricsRegion> FilledRegion() {
  std::string err;
  auto region = MetricsRegion::Create({4, 256}, &err);
  for (unsigned w = 0; w < 4; ++w) {
    region->AttachWorker(w);
    Recorder rec(*region, w);
    for (int r = 0; r < 50; ++r) {
      uint32_t route = rec.RegisterRoute("GET", "/route/" + std::to_string(r) + "/{id}");
      for (int status : {200, 304, 404, 500, 503}) {
        rec.OnRequestEnd(rec.OnRequestStart(route), {route, status, 100, 3ms, 0us});
      }
    }
    for (int i = 0; i < 10; ++i) rec.OnRequestStart(2);
  }
  return region;
}

void BM_RecordRequest(benchmark::State& state) {
  std::string err;
  auto region = MetricsRegion::Create({1, 256}, &err);
  region->AttachWorker(0);
  Recorder rec(*region, 0);
  uint32_t route = rec.RegisterRoute("GET", "/hello");
  for (auto _ : state) {
    RequestToken t = rec.OnRequestStart(route);
    rec.OnRequestEnd(t, {route, 200, 12, 800us, 0us});
  }
}
BENCHMARK(BM_RecordRequest);

void BM_SnapshotAndRenderMetrics(benchmark::State& state) {
  auto region = FilledRegion();
  size_t bytes = 0;
  for (auto _ : state) {
    std::string text = RenderPrometheus(TakeSnapshot(*region));
    bytes = text.size();
    benchmark::DoNotOptimize(text);
  }
  state.counters["bytes"] = static_cast<double>(bytes);
}
BENCHMARK(BM_SnapshotAndRenderMetrics);

void BM_SnapshotAndRenderStatus(benchmark::State& state) {
  auto region = FilledRegion();
  for (auto _ : state) {
    std::string text = StatusJson(TakeSnapshot(*region)).dump();
    benchmark::DoNotOptimize(text);
  }
}
BENCHMARK(BM_SnapshotAndRenderStatus);

}  // namespace
}  // namespace spindle::test

BENCHMARK_MAIN();
