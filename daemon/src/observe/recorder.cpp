// recorder.cpp: see recorder.hpp.
#include "observe/recorder.hpp"

#include "observe/clock.hpp"

#include <algorithm>

namespace spindle::observe {
namespace {

constexpr auto kRelaxed = std::memory_order_relaxed;

uint64_t NonNegativeUs(std::chrono::microseconds d) {
  return d.count() < 0 ? 0 : static_cast<uint64_t>(d.count());
}

void StoreSample(std::atomic<int64_t>& cell, int64_t value) { cell.store(value, kRelaxed); }

void StoreSample(SampledCounterCell& cell, uint64_t value) { cell.current.store(value, kRelaxed); }

}  // namespace

RequestToken Recorder::OnRequestStart(uint32_t route) noexcept {
  WorkerSlot& s = region_.Slot(worker_);
  s.inflight.fetch_add(1, kRelaxed);
  const uint32_t tag = std::min(route, region_.max_routes() - 1) + 1;
  for (size_t i = 0; i < kInflightEntries; ++i) {
    InflightEntry& e = s.inflight_table[i];
    uint32_t expected = 0;
    if (e.route_plus_one.load(kRelaxed) != 0) continue;
    // The start time is written before the entry is published, so a reader
    // that sees the route also sees a sensible start.
    if (e.route_plus_one.compare_exchange_strong(expected, UINT32_MAX, std::memory_order_acquire)) {
      e.start_ns.store(MonotonicNs(), kRelaxed);
      e.route_plus_one.store(tag, std::memory_order_release);
      return RequestToken{static_cast<int32_t>(i)};
    }
  }
  return RequestToken{};
}

void Recorder::OnRequestEnd(RequestToken token, const RequestEnd& end) noexcept {
  WorkerSlot& s = region_.Slot(worker_);
  if (token.entry >= 0 && static_cast<size_t>(token.entry) < kInflightEntries) {
    s.inflight_table[token.entry].route_plus_one.store(0, std::memory_order_release);
  }
  s.inflight.fetch_sub(1, kRelaxed);
  const uint32_t route = std::min(end.route, region_.max_routes() - 1);
  region_.Requests(worker_, route, StatusBucket(end.status)).fetch_add(1, kRelaxed);
  s.response_bytes.fetch_add(end.bytes, kRelaxed);
  s.latency.Record(NonNegativeUs(end.duration));
  s.queue_wait.Record(NonNegativeUs(end.queue_wait));
}

void Recorder::OnAccept() noexcept {
  WorkerSlot& s = region_.Slot(worker_);
  s.connections_accepted.fetch_add(1, kRelaxed);
  s.connections_open.fetch_add(1, kRelaxed);
}

void Recorder::OnSpawnFailure() noexcept {
  region_.Slot(worker_).spawn_failures.fetch_add(1, kRelaxed);
}

void Recorder::OnConnectionClosed() noexcept {
  region_.Slot(worker_).connections_open.fetch_sub(1, kRelaxed);
}

void Recorder::UpdateGauges(const GaugeSample& sample) noexcept {
  WorkerSlot& s = region_.Slot(worker_);
#define SPINDLE_STORE_SAMPLE(kind, field, name, in_status, help) \
  SPINDLE_IF_SAMPLED_##kind(StoreSample(s.field, sample.field);)
  SPINDLE_SCALAR_METRICS(SPINDLE_STORE_SAMPLE)
#undef SPINDLE_STORE_SAMPLE
}

void Recorder::OnSlowSlice(std::string_view name, std::chrono::milliseconds ran) noexcept {
  WorkerSlot& s = region_.Slot(worker_);
  const uint32_t route = region_.FindRoute(name);
  const uint64_t ms = ran.count() < 0 ? 0 : static_cast<uint64_t>(ran.count());
  region_.SlowByRoute(worker_, route).fetch_add(1, kRelaxed);
  s.slow_slice_ms.fetch_add(ms, kRelaxed);
  s.last_slow_route.store(route, kRelaxed);
  s.last_slow_ms.store(ms, kRelaxed);
  s.last_slow_unix_ms.store(UnixMillis(), kRelaxed);
  s.slow_slices.fetch_add(1, kRelaxed);
}

}  // namespace spindle::observe
