// metrics_table.hpp: every metric spindled exposes, defined once. The
// scalar rows (one number per worker slot) generate the slot field in shared
// memory, the snapshot field, its reset on attach, its sum over workers, its
// Prometheus family and, when asked, its /status key; the sampled ones also
// generate a GaugeSample field. The structured families (by route, by status
// code, histograms, per worker) have hand-written recording and rendering,
// but their name, type, labels and help are defined here too, so
// kMetricFamilies lists all of them (tests check the rendered output and
// docs/observability.md against it).
//
// Adding a metric: one SPINDLE_SCALAR_METRICS row, plus the line that
// produces the value (a sampled gauge: the sampler in
// server/observe_hooks.cpp; an event counter: a Recorder method), plus its
// docs row (the docs test names what is missing).
//
// No thread or fiber contract: constants and macros only.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>
#include <type_traits>

namespace spindle::observe {

// How a scalar metric is written and what happens to it across respawns.
enum class MetricKind {
  // Counted by events; never reset, so the sums stay monotonic.
  kCounter,
  // Moved up/down by events; reset when a process attaches to the slot and
  // read as 0 while the slot's process is gone.
  kGauge,
  // Stored by the periodic sampler (GaugeSample); otherwise like kGauge.
  kSampledGauge,
  // An absolute, monotonic count the sampler copies from a component (the
  // Redis and PostgreSQL clients); a process's last value is folded into a base when the
  // next process attaches, so the sum carries on across respawns.
  kSampledCounter,
};

// X(kind, field, "prometheus name", in_status, "help"). Rows render in this
// order, between the structured families before and after them (below).
// in_status: the worker's /status JSON carries the value under `field`.
#define SPINDLE_SCALAR_METRICS(X)                                                            \
  X(kCounter, response_bytes, "spindle_response_body_bytes_total", false,                   \
    "Response body bytes sent.")                                                             \
  X(kGauge, inflight, "spindle_requests_in_flight", true,                                    \
    "Requests received and not yet finished (running or queued).")                           \
  X(kSampledGauge, queue_depth, "spindle_request_queue_depth", true,                         \
    "Requests waiting for admission now.")                                                   \
  X(kSampledGauge, fibers_alive, "spindle_fibers_alive", true, "Fibers alive (all states).") \
  X(kSampledGauge, stack_bytes, "spindle_fiber_stack_bytes", true,                           \
    "Bytes of fiber stacks in use.")                                                         \
  X(kSampledGauge, offload_queue, "spindle_offload_queue_depth", true,                       \
    "Offload jobs waiting for a pool thread.")                                               \
  X(kCounter, connections_accepted, "spindle_connections_accepted_total", true,              \
    "Connections accepted from nginx (or other clients).")                                   \
  X(kCounter, spawn_failures, "spindle_fiber_spawn_failures_total", true,                    \
    "Fibers that could not be started (stack mapping refused or max_fibers "                 \
    "reached): the connection was closed or the request answered 503.")                      \
  X(kGauge, connections_open, "spindle_connections_open", true, "Connections open now.")     \
  X(kSampledCounter, redis_commands, "spindle_redis_commands_total", false,                  \
    "Redis commands sent.")                                                                  \
  X(kSampledCounter, redis_errors, "spindle_redis_errors_total", false,                      \
    "Redis calls that failed (unavailable, timeout, error reply).")                          \
  X(kSampledCounter, redis_timeouts, "spindle_redis_timeouts_total", false,                  \
    "Redis calls that timed out.")                                                           \
  X(kSampledCounter, redis_reconnects, "spindle_redis_reconnects_total", false,              \
    "Redis connections re-established after a loss.")                                        \
  X(kSampledCounter, redis_pool_waits, "spindle_redis_pool_waits_total", false,              \
    "Redis calls that waited for a usable connection.")                                      \
  X(kSampledGauge, redis_connections_open, "spindle_redis_connections_open", false,          \
    "Redis connections open now.")                                                           \
  X(kSampledCounter, pg_queries, "spindle_pg_queries_total", false,                          \
    "PostgreSQL statements sent.")                                                           \
  X(kSampledCounter, pg_errors, "spindle_pg_errors_total", false,                            \
    "PostgreSQL calls that failed (unavailable, timeout, error answer).")                    \
  X(kSampledCounter, pg_timeouts, "spindle_pg_timeouts_total", false,                        \
    "PostgreSQL calls that timed out.")                                                      \
  X(kSampledCounter, pg_reconnects, "spindle_pg_reconnects_total", false,                    \
    "PostgreSQL connections re-established after a loss or a failed attempt.")               \
  X(kSampledCounter, pg_pool_waits, "spindle_pg_pool_waits_total", false,                    \
    "PostgreSQL calls that waited for a usable connection.")                                 \
  X(kSampledGauge, pg_connections_open, "spindle_pg_connections_open", false,                \
    "PostgreSQL connections open now (LISTEN connections included).")

// The plain value of a scalar metric (snapshot, GaugeSample).
template <MetricKind K>
using MetricValue =
    std::conditional_t<K == MetricKind::kCounter || K == MetricKind::kSampledCounter, uint64_t,
                       int64_t>;

// Expands its arguments only for the sampled kinds:
// SPINDLE_IF_SAMPLED_##kind(code).
#define SPINDLE_IF_SAMPLED_kCounter(...)
#define SPINDLE_IF_SAMPLED_kGauge(...)
#define SPINDLE_IF_SAMPLED_kSampledGauge(...) __VA_ARGS__
#define SPINDLE_IF_SAMPLED_kSampledCounter(...) __VA_ARGS__

struct MetricFamily {
  std::string_view name;
  std::string_view type;    // counter, gauge, histogram
  std::string_view labels;  // "method, route, code"; "" for none
  std::string_view help;
};

constexpr std::string_view PrometheusType(MetricKind kind) {
  return kind == MetricKind::kCounter || kind == MetricKind::kSampledCounter ? "counter" : "gauge";
}

// The structured families, by where they render.
inline constexpr MetricFamily kRequestsFamily = {
    "spindle_requests_total", "counter", "method, route, code",
    "Requests finished, by route and status code (code=\"other\" for uncommon codes)."};
inline constexpr MetricFamily kLatencyFamily = {
    "spindle_request_duration_seconds", "histogram", "",
    "Request latency, from the request head to the end of the response."};
inline constexpr MetricFamily kQueueWaitFamily = {
    "spindle_request_queue_wait_seconds", "histogram", "",
    "Time requests waited in the admission queue before a handler ran."};
inline constexpr MetricFamily kSlowSlicesFamily = {
    "spindle_watchdog_slow_slices_total", "counter", "method, route",
    "Fiber run slices longer than the watchdog threshold, by route (route=\"(none)\" "
    "for fibers that are not request handlers)."};
inline constexpr MetricFamily kSlowSliceSecondsFamily = {
    "spindle_watchdog_slow_slice_seconds_total", "counter", "",
    "Sum of the run times the watchdog reported."};
inline constexpr MetricFamily kWorkerInfoFamily = {
    "spindle_worker_info", "gauge", "worker, pid",
    "One series per worker slot in use: its current pid; 1 when that process is alive."};
inline constexpr MetricFamily kWorkerStartsFamily = {
    "spindle_worker_starts_total", "counter", "worker",
    "Processes started in each worker slot (the first start plus respawns)."};

// Every family, in exposition order.
inline constexpr auto kMetricFamilies = std::to_array<MetricFamily>({
    kRequestsFamily,
    kLatencyFamily,
    kQueueWaitFamily,
#define SPINDLE_METRIC_FAMILY(kind, field, name, in_status, help) \
  {name, PrometheusType(MetricKind::kind), "", help},
    SPINDLE_SCALAR_METRICS(SPINDLE_METRIC_FAMILY)
#undef SPINDLE_METRIC_FAMILY
    kSlowSlicesFamily,
    kSlowSliceSecondsFamily,
    kWorkerInfoFamily,
    kWorkerStartsFamily,
});

}  // namespace spindle::observe
