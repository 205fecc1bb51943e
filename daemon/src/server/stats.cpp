// stats.cpp: the per-process worker counters and spindle::version(). A
// worker process has one serving thread, so plain integers suffice.
#include "server/stats.hpp"

namespace spindle {
namespace {
WorkerStats g_stats;
}  // namespace

std::string_view version() { return SPINDLE_VERSION_STRING; }

const WorkerStats& worker_stats() { return g_stats; }

namespace server {
WorkerStats& MutableStats() { return g_stats; }
}  // namespace server

}  // namespace spindle
