// status.hpp: the status view of a RegionSnapshot, as JSON (GET /status) and
// as a human-readable text table (GET /status.txt): per worker slot its pid,
// whether it is alive, in-flight requests (route and age), queue depth,
// connections, fibers, stack bytes, slow slices; and the slowest in-flight
// requests across all workers.
//
// Per worker only the first 64 in-flight requests (kInflightEntries) carry a
// route and start time; "untracked" counts the rest.
//
// No thread or fiber contract: pure functions.
#pragma once

#include "observe/snapshot.hpp"

#include <nlohmann/json.hpp>

#include <cstddef>
#include <string>

namespace spindle::observe {

struct StatusOptions {
  size_t slowest = 10;  // how many of the slowest in-flight requests to list
};

nlohmann::json StatusJson(const RegionSnapshot& snap, const StatusOptions& options = {});
std::string StatusText(const RegionSnapshot& snap, const StatusOptions& options = {});

}  // namespace spindle::observe
