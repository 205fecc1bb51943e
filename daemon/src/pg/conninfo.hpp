// The libpq connection parameters of a pg::Config: its conninfo parsed by
// libpq (PQconninfoParse), the Config's own keys over it, and our defaults
// (fallback_application_name=spindled, DateStyle=ISO for the timestamp
// parser). Host names are resolved here, on the offload pool, so that
// PQconnectPoll never calls getaddrinfo on a worker thread.
//
// CheckConninfo and Build are plain functions; ResolveHosts may suspend (it
// runs getaddrinfo through offload()).
#pragma once

#include <string>
#include <vector>

#include <spindle/pg_config.hpp>

namespace spindle::pg::impl {

// A libpq message (PQerrorMessage, a cancel error) on one line: newlines and
// tabs become spaces, runs of spaces one, trailing blanks dropped.
std::string LibpqMessage(const char* msg);

// "" if libpq can parse `conninfo`, else its message (one line).
std::string CheckConninfo(const std::string& conninfo);

struct ConnParams {
  std::vector<std::string> keys;
  std::vector<std::string> values;
  // Value of `key`, or "" when not set.
  std::string Get(const std::string& key) const;
  void Set(const std::string& key, std::string value);
  // NULL-terminated arrays for PQconnectStartParams (valid while *this is).
  std::vector<const char*> KeyArray() const;
  std::vector<const char*> ValueArray() const;
};

// Throws std::invalid_argument on a conninfo libpq cannot parse.
ConnParams Build(const Config& config);
// "host:port/dbname" for messages.
std::string ServerName(const ConnParams& params);

// May suspend. Sets hostaddr for every host that is a name (not a socket
// directory or an IP literal) unless hostaddr is given. Returns "" or why a
// name did not resolve.
std::string ResolveHosts(ConnParams& params);

}  // namespace spindle::pg::impl
