// observe.hpp: the integration API of the observability subsystem — the few
// calls the master and the workers make. docs/observability.md describes the
// metrics, the status view, the admin pages and the log formats. The
// subsystem records and renders; the server serves what it renders.
//
// Master (single-threaded, before fork()):
//   observe::CreateRegion({.max_workers = 2 * workers, .max_routes = 256}, &err);
//   observe::SetupLogging({.level = "info", .format = LogFormat::kJournal}, &err);
// Worker (right after fork(), before its Scheduler starts):
//   observe::AttachWorker(slot);            // the respawned worker reuses the slot
//   sched_opts.on_slow_slice = observe::OnSlowSlice;
//   ... then in fibers of the worker's scheduler:
//   uint32_t r = observe::RegisterRoute("GET", "/users/{id}");  // per route, once
//   observe::StartGaugeSampler([&] { return GaugeSample{...}; });
//   admin pages (server/admin_server.hpp): observe::FindAdminPage("/metrics")->render(*Region(), "");
//   per connection: OnAccept() / OnConnectionClosed();
//   per request: auto t = OnRequestStart(r); ... OnRequestEnd(t, {r, status, bytes, dur, wait});
//                LogAccess({method, path, status, bytes, dur, wait});
//
// Thread contract: CreateRegion/AttachWorker once, before any other thread
// of the process starts; the recording calls are lock-free and safe from any
// thread (OnSlowSlice runs on the watchdog thread); every call is a no-op
// (returning kRouteNone / an empty token) in a process without a region or
// slot, so servers and tests can run without observability.
#pragma once

#include <spindle/fiber.hpp>

#include "observe/access_log.hpp"
#include "observe/admin_pages.hpp"
#include "observe/log_setup.hpp"
#include "observe/metrics_region.hpp"
#include "observe/recorder.hpp"

#include <chrono>
#include <functional>
#include <string>
#include <string_view>

namespace spindle::observe {

// --- master -----------------------------------------------------------------

// Creates the process-wide region (replacing an earlier one). Returns false
// and sets *err when the mapping fails.
bool CreateRegion(const RegionOptions& options, std::string* err);
// The process-wide region, or nullptr.
MetricsRegion* Region() noexcept;

// --- worker -----------------------------------------------------------------

// Claims slot `slot` (< max_workers) for this process. False when there is no
// region or the slot is out of range (recording then stays a no-op).
bool AttachWorker(unsigned slot);
// The recorder of this process's slot, or nullptr.
Recorder* CurrentRecorder() noexcept;

uint32_t RegisterRoute(std::string_view method, std::string_view pattern) noexcept;
RequestToken OnRequestStart(uint32_t route) noexcept;
void OnRequestEnd(RequestToken token, const RequestEnd& end) noexcept;
void OnAccept() noexcept;
// A fiber could not be started (its stack was refused).
void OnSpawnFailure() noexcept;
void OnConnectionClosed() noexcept;
// Stores a sample of every sampled metric, the Redis and PostgreSQL
// clients' counters among them (metrics_table.hpp).
void UpdateGauges(const GaugeSample& sample) noexcept;
// Matches SchedulerOptions::on_slow_slice. Counts the event by route (the
// fiber name, as set with this_fiber::set_name, looked up as "METHOD PATTERN"
// or "PATTERN"). The engine's watchdog already logs the warning line
// ("fiber 'NAME' running for N ms without yielding"), so this does not.
void OnSlowSlice(std::string_view fiber_name, std::chrono::milliseconds ran) noexcept;

// The current scheduler's fibers_alive and stack_bytes_in_use (zeros outside
// a scheduler thread); the caller adds queue depth and offload queue.
GaugeSample SchedulerGauges() noexcept;

// Spawns a fiber on the current scheduler that calls UpdateGauges(sample())
// every `interval` until cancelled. `sample` runs in that fiber.
Fiber StartGaugeSampler(std::function<GaugeSample()> sample,
                        std::chrono::milliseconds interval = std::chrono::milliseconds(250));

}  // namespace spindle::observe
