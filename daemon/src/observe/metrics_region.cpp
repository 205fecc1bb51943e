// metrics_region.cpp: see metrics_region.hpp. Also the small helpers of
// metrics_layout.hpp (status buckets, histogram recording).
#include "observe/metrics_region.hpp"

#include "observe/clock.hpp"

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <new>
#include <thread>

namespace spindle::observe {
namespace {

constexpr auto kRelaxed = std::memory_order_relaxed;

size_t AlignUp(size_t n, size_t a) { return (n + a - 1) / a * a; }

// A label field copy that never splits a UTF-8 sequence and always ends in NUL.
void CopyField(char* dst, size_t cap, std::string_view src) {
  size_t n = std::min(src.size(), cap - 1);
  while (n > 0 && n < src.size() && (static_cast<unsigned char>(src[n]) & 0xC0) == 0x80) --n;
  std::memcpy(dst, src.data(), n);
  dst[n] = '\0';
}

bool FieldEquals(const char* field, size_t cap, std::string_view s) {
  size_t len = strnlen(field, cap);
  if (s.size() >= cap) {
    // Stored truncated: compare the stored prefix.
    char tmp[kRoutePatternMax];
    CopyField(tmp, std::min(cap, sizeof tmp), s);
    return std::string_view(field, len) == std::string_view(tmp);
  }
  return std::string_view(field, len) == s;
}

// What a new process of a slot does with a scalar metric the previous one
// left: counters carry on, gauges restart, a sampled counter's last sample
// joins its base (the new process samples from its own zero).
template <MetricKind K>
void ResetOnAttach(SlotCell<K>& cell) {
  if constexpr (K == MetricKind::kSampledCounter) {
    cell.base.fetch_add(cell.current.exchange(0, kRelaxed), kRelaxed);
  } else if constexpr (K != MetricKind::kCounter) {
    cell.store(0, kRelaxed);
  }
}

// True when `series` is one of the histogram `hist`'s own sample names.
bool IsHistogramSeries(std::string_view hist, std::string_view series) {
  if (series.size() <= hist.size() || series.substr(0, hist.size()) != hist) return false;
  std::string_view suffix = series.substr(hist.size());
  return suffix == "_bucket" || suffix == "_sum" || suffix == "_count";
}

// Waits (bounded) while another process writes an entry; returns its state.
template <class Entry>
uint32_t WaitWritten(const Entry& e, uint32_t state) {
  for (int spins = 0; state == Entry::kWriting && spins < 100000; ++spins) {
    std::this_thread::yield();
    state = e.state.load(std::memory_order_acquire);
  }
  return state;
}

}  // namespace

size_t StatusBucket(int status) noexcept {
  auto it = std::find(kStatusCodes.begin(), kStatusCodes.end(), status);
  return it == kStatusCodes.end() ? kStatusOther : static_cast<size_t>(it - kStatusCodes.begin());
}

void SharedHistogram::Record(uint64_t us) noexcept {
  auto it = std::lower_bound(kBucketBoundsUs.begin(), kBucketBoundsUs.end(), us);
  buckets[it - kBucketBoundsUs.begin()].fetch_add(1, kRelaxed);
  sum_us.fetch_add(us, kRelaxed);
  count.fetch_add(1, kRelaxed);
}

std::unique_ptr<MetricsRegion> MetricsRegion::Create(const RegionOptions& options,
                                                     std::string* err) {
  if (options.max_workers < 1 || options.max_workers > 4096 || options.max_routes < 3 ||
      options.max_routes > 65536 || options.max_app_metrics > 4096) {
    if (err) {
      *err = "metrics region: max_workers must be 1..4096, max_routes 3..65536 and "
             "max_app_metrics 0..4096";
    }
    return nullptr;
  }
  const size_t by_route =
      sizeof(std::atomic<uint64_t>) * options.max_routes * (kStatusBuckets + 1);
  const size_t app_cells_offset = AlignUp(sizeof(WorkerSlot) + by_route, 64);
  const size_t stride = AlignUp(app_cells_offset + kAppCellBytes * options.max_app_metrics, 64);
  const size_t routes_offset = AlignUp(sizeof(RegionHeader), 64);
  const size_t app_metrics_offset =
      AlignUp(routes_offset + sizeof(RouteEntry) * options.max_routes, 64);
  const size_t slots_offset =
      AlignUp(app_metrics_offset + sizeof(AppMetricEntry) * options.max_app_metrics, 64);
  const size_t total = AlignUp(slots_offset + stride * options.max_workers,
                               static_cast<size_t>(sysconf(_SC_PAGESIZE)));
  void* p = mmap(nullptr, total, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) {
    if (err) *err = std::string("metrics region: mmap of ") + std::to_string(total) +
                    " bytes failed: " + std::strerror(errno);
    return nullptr;
  }
  // Anonymous mappings are zero-filled, and a zeroed std::atomic of an
  // integer type is that integer 0, so only the header needs writing.
  auto* h = new (p) RegionHeader{};
  h->magic = RegionHeader::kMagic;
  h->layout = LayoutFingerprint();
  h->max_workers = options.max_workers;
  h->max_routes = options.max_routes;
  h->max_app_metrics = options.max_app_metrics;
  h->slot_stride = stride;
  h->routes_offset = routes_offset;
  h->app_metrics_offset = app_metrics_offset;
  h->app_cells_offset = app_cells_offset;
  h->slots_offset = slots_offset;
  h->total_size = total;
  std::unique_ptr<MetricsRegion> region(new MetricsRegion(p, total));
  region->RegisterRoute("", "(none)");
  region->RegisterRoute("", "(other)");
  return region;
}

MetricsRegion::MetricsRegion(void* base, size_t size)
    : base_(static_cast<uint8_t*>(base)), size_(size),
      header_(static_cast<RegionHeader*>(base)) {}

MetricsRegion::~MetricsRegion() { munmap(base_, size_); }

RouteEntry& MetricsRegion::Route(uint32_t index) const noexcept {
  return reinterpret_cast<RouteEntry*>(base_ + header_->routes_offset)[index];
}

uint8_t* MetricsRegion::SlotBytes(unsigned worker) const noexcept {
  return base_ + header_->slots_offset + header_->slot_stride * worker;
}

WorkerSlot& MetricsRegion::Slot(unsigned worker) noexcept {
  return *reinterpret_cast<WorkerSlot*>(SlotBytes(worker));
}

const WorkerSlot& MetricsRegion::Slot(unsigned worker) const noexcept {
  return *reinterpret_cast<const WorkerSlot*>(SlotBytes(worker));
}

std::atomic<uint64_t>& MetricsRegion::Requests(unsigned worker, uint32_t route,
                                               size_t status_bucket) noexcept {
  auto* arr = reinterpret_cast<std::atomic<uint64_t>*>(SlotBytes(worker) + sizeof(WorkerSlot));
  return arr[static_cast<size_t>(route) * kStatusBuckets + status_bucket];
}

uint64_t MetricsRegion::RequestsValue(unsigned worker, uint32_t route,
                                      size_t status_bucket) const noexcept {
  return const_cast<MetricsRegion*>(this)->Requests(worker, route, status_bucket).load(kRelaxed);
}

std::atomic<uint64_t>& MetricsRegion::SlowByRoute(unsigned worker, uint32_t route) noexcept {
  auto* arr = reinterpret_cast<std::atomic<uint64_t>*>(SlotBytes(worker) + sizeof(WorkerSlot));
  return arr[static_cast<size_t>(header_->max_routes) * kStatusBuckets + route];
}

uint64_t MetricsRegion::SlowByRouteValue(unsigned worker, uint32_t route) const noexcept {
  return const_cast<MetricsRegion*>(this)->SlowByRoute(worker, route).load(kRelaxed);
}

uint32_t MetricsRegion::RegisterRoute(std::string_view method, std::string_view pattern) noexcept {
  for (uint32_t i = 0; i < header_->max_routes; ++i) {
    RouteEntry& e = Route(i);
    uint32_t state = e.state.load(std::memory_order_acquire);
    if (state == RouteEntry::kFree) {
      if (e.state.compare_exchange_strong(state, RouteEntry::kWriting,
                                          std::memory_order_acq_rel)) {
        CopyField(e.method, sizeof e.method, method);
        CopyField(e.pattern, sizeof e.pattern, pattern);
        e.state.store(RouteEntry::kReady, std::memory_order_release);
        return i;
      }
      // Lost the race: `state` now holds the winner's state; fall through.
    }
    // Another process is writing this entry: it takes a few stores, so wait
    // (bounded; a writer that died mid-write leaves the entry unusable).
    state = WaitWritten(e, state);
    if (state == RouteEntry::kReady && FieldEquals(e.method, sizeof e.method, method) &&
        FieldEquals(e.pattern, sizeof e.pattern, pattern)) {
      return i;
    }
  }
  return kRouteOverflow;
}

uint32_t MetricsRegion::FindRoute(std::string_view name) const noexcept {
  for (uint32_t i = 2; i < header_->max_routes; ++i) {
    const RouteEntry& e = Route(i);
    uint32_t state = e.state.load(std::memory_order_acquire);
    if (state == RouteEntry::kFree) break;
    if (state != RouteEntry::kReady) continue;
    std::string_view m(e.method, strnlen(e.method, sizeof e.method));
    std::string_view p(e.pattern, strnlen(e.pattern, sizeof e.pattern));
    if (name == p) return i;
    if (name.size() == m.size() + 1 + p.size() && name.substr(0, m.size()) == m &&
        name[m.size()] == ' ' && name.substr(m.size() + 1) == p) {
      return i;
    }
  }
  return kRouteNone;
}

uint32_t MetricsRegion::route_count() const noexcept {
  uint32_t i = 0;
  while (i < header_->max_routes &&
         Route(i).state.load(std::memory_order_acquire) != RouteEntry::kFree) {
    ++i;
  }
  return i;
}

std::string_view MetricsRegion::RouteMethod(uint32_t index) const noexcept {
  if (index >= header_->max_routes) return {};
  const RouteEntry& e = Route(index);
  if (e.state.load(std::memory_order_acquire) != RouteEntry::kReady) return {};
  return {e.method, strnlen(e.method, sizeof e.method)};
}

std::string_view MetricsRegion::RoutePattern(uint32_t index) const noexcept {
  if (index >= header_->max_routes) return {};
  const RouteEntry& e = Route(index);
  if (e.state.load(std::memory_order_acquire) != RouteEntry::kReady) return {};
  return {e.pattern, strnlen(e.pattern, sizeof e.pattern)};
}

std::string MetricsRegion::RouteLabel(uint32_t index) const {
  std::string_view m = RouteMethod(index);
  std::string_view p = RoutePattern(index);
  if (m.empty()) return std::string(p.empty() ? "(other)" : p);
  std::string s(m);
  s += ' ';
  s += p;
  return s;
}

AppMetricEntry& MetricsRegion::AppEntry(uint32_t index) const noexcept {
  return reinterpret_cast<AppMetricEntry*>(base_ + header_->app_metrics_offset)[index];
}

uint8_t* MetricsRegion::AppCell(unsigned worker, uint32_t index) const noexcept {
  return SlotBytes(worker) + header_->app_cells_offset + kAppCellBytes * index;
}

AppMetricClaim MetricsRegion::RegisterAppMetric(AppMetricKind kind, std::string_view name,
                                                std::string_view help) noexcept {
  if (name.empty() || name.size() >= kAppMetricNameMax || help.size() >= kAppMetricHelpMax) {
    return {AppMetricClaim::kTooLong, 0};
  }
  // Entries are claimed in index order and never freed, so the ones in use
  // are a prefix: by the first free entry, every earlier name was compared.
  for (uint32_t i = 0; i < header_->max_app_metrics; ++i) {
    AppMetricEntry& e = AppEntry(i);
    uint32_t state = e.state.load(std::memory_order_acquire);
    if (state == AppMetricEntry::kFree) {
      if (e.state.compare_exchange_strong(state, AppMetricEntry::kWriting,
                                          std::memory_order_acq_rel)) {
        e.kind = kind;
        CopyField(e.name, sizeof e.name, name);
        CopyField(e.help, sizeof e.help, help);
        e.state.store(AppMetricEntry::kReady, std::memory_order_release);
        return {AppMetricClaim::kOk, i};
      }
    }
    if (WaitWritten(e, state) != AppMetricEntry::kReady) continue;
    std::string_view stored(e.name, strnlen(e.name, sizeof e.name));
    if (stored == name) {
      if (e.kind != kind) return {AppMetricClaim::kKindMismatch, i};
      if (std::string_view(e.help, strnlen(e.help, sizeof e.help)) != help) {
        return {AppMetricClaim::kHelpMismatch, i};
      }
      return {AppMetricClaim::kOk, i};
    }
    if ((kind == AppMetricKind::kHistogram && IsHistogramSeries(name, stored)) ||
        (e.kind == AppMetricKind::kHistogram && IsHistogramSeries(stored, name))) {
      return {AppMetricClaim::kSeriesClash, i};
    }
  }
  return {AppMetricClaim::kFull, 0};
}

uint32_t MetricsRegion::app_metric_count() const noexcept {
  uint32_t i = 0;
  while (i < header_->max_app_metrics &&
         AppEntry(i).state.load(std::memory_order_acquire) != AppMetricEntry::kFree) {
    ++i;
  }
  return i;
}

AppMetricKind MetricsRegion::AppMetricKindAt(uint32_t index) const noexcept {
  if (index >= header_->max_app_metrics) return AppMetricKind{};
  const AppMetricEntry& e = AppEntry(index);
  if (e.state.load(std::memory_order_acquire) != AppMetricEntry::kReady) return AppMetricKind{};
  return e.kind;
}

std::string_view MetricsRegion::AppMetricName(uint32_t index) const noexcept {
  if (AppMetricKindAt(index) == AppMetricKind{}) return {};
  const AppMetricEntry& e = AppEntry(index);
  return {e.name, strnlen(e.name, sizeof e.name)};
}

std::string_view MetricsRegion::AppMetricHelp(uint32_t index) const noexcept {
  if (AppMetricKindAt(index) == AppMetricKind{}) return {};
  const AppMetricEntry& e = AppEntry(index);
  return {e.help, strnlen(e.help, sizeof e.help)};
}

std::atomic<uint64_t>& MetricsRegion::AppCounter(unsigned worker, uint32_t index) noexcept {
  return *reinterpret_cast<std::atomic<uint64_t>*>(AppCell(worker, index));
}

std::atomic<int64_t>& MetricsRegion::AppGauge(unsigned worker, uint32_t index) noexcept {
  return *reinterpret_cast<std::atomic<int64_t>*>(AppCell(worker, index));
}

SharedHistogram& MetricsRegion::AppHistogram(unsigned worker, uint32_t index) noexcept {
  return *reinterpret_cast<SharedHistogram*>(AppCell(worker, index));
}

const std::atomic<uint64_t>& MetricsRegion::AppCounter(unsigned worker,
                                                       uint32_t index) const noexcept {
  return *reinterpret_cast<const std::atomic<uint64_t>*>(AppCell(worker, index));
}

const std::atomic<int64_t>& MetricsRegion::AppGauge(unsigned worker,
                                                    uint32_t index) const noexcept {
  return *reinterpret_cast<const std::atomic<int64_t>*>(AppCell(worker, index));
}

const SharedHistogram& MetricsRegion::AppHistogram(unsigned worker,
                                                   uint32_t index) const noexcept {
  return *reinterpret_cast<const SharedHistogram*>(AppCell(worker, index));
}

void MetricsRegion::AttachWorker(unsigned worker) noexcept {
  WorkerSlot& s = Slot(worker);
#define SPINDLE_RESET_ON_ATTACH(kind, field, name, in_status, help) \
  ResetOnAttach<MetricKind::kind>(s.field);
  SPINDLE_SCALAR_METRICS(SPINDLE_RESET_ON_ATTACH)
#undef SPINDLE_RESET_ON_ATTACH
  for (InflightEntry& e : s.inflight_table) e.route_plus_one.store(0, kRelaxed);
  for (uint32_t i = 0, n = app_metric_count(); i < n; ++i) {
    if (AppMetricKindAt(i) == AppMetricKind::kGauge) AppGauge(worker, i).store(0, kRelaxed);
  }
  s.attached_unix_ms.store(UnixMillis(), kRelaxed);
  s.starts.fetch_add(1, kRelaxed);
  s.pid.store(getpid(), std::memory_order_release);
}

}  // namespace spindle::observe
