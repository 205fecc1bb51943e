// Value types of the PostgreSQL client beyond the C++ built-ins: Bytea
// (binary data), Timestamp (timestamptz, microseconds, UTC), and the type
// OIDs the client knows. Used by pg_params.hpp and pg_result.hpp.
//
// No thread or fiber contract: plain values.
#pragma once

#include <chrono>
#include <string>

namespace spindle::pg {

using Oid = unsigned int;

// bytea: arbitrary bytes (NULs included). Sent to the server in binary, read
// back decoded.
struct Bytea {
  std::string data;
  bool operator==(const Bytea&) const = default;
};

// timestamptz (and timestamp, read as UTC): microseconds since the epoch.
using Timestamp = std::chrono::sys_time<std::chrono::microseconds>;

// Type OIDs (pg_type.oid) of the columns Field::as<>() converts.
namespace oid {
inline constexpr Oid kBool = 16, kBytea = 17, kInt8 = 20, kInt2 = 21, kInt4 = 23, kText = 25,
                     kOid = 26, kJson = 114, kFloat4 = 700, kFloat8 = 701, kVarchar = 1043,
                     kBpchar = 1042, kTimestamp = 1114, kTimestamptz = 1184, kNumeric = 1700,
                     kJsonb = 3802, kName = 19;
}  // namespace oid

}  // namespace spindle::pg
