// Exceptions thrown by the PostgreSQL client (spindle::pg::Client and
// friends).
//
// Every one derives from spindle::pg::Error, which names the server it
// concerns ("/run/postgresql:5432/app"), so a handler can catch one type. The
// server answers an unhandled Unavailable or Timeout with 503 + Retry-After
// and a log line (an unhandled QueryError or TypeError is a 500).
// Cancellation of the calling fiber is reported as spindle::Cancelled
// (fiber.hpp), which is not an Error.
// No thread or fiber contract: plain values.
#pragma once

#include <stdexcept>
#include <string>

namespace spindle::pg {

class Error : public std::runtime_error {
 public:
  Error(std::string server, const std::string& what)
      : std::runtime_error(what), server_(std::move(server)) {}
  // The server as Config::ServerName() names it.
  const std::string& server() const noexcept { return server_; }

 private:
  std::string server_;
};

// No usable connection: the server is down, refused or closed the
// connection, the connection broke while the call was in flight, no pooled
// connection became free within the pool wait, or the client was closed.
// Retrying later may succeed; the client reconnects in the background. A
// call that failed this way may or may not have run on the server.
class Unavailable : public Error {
 public:
  using Error::Error;
};

// The server refused the credentials (SQLSTATE class 28: a bad password, an
// unknown role, pg_hba.conf). Retrying will not help until the config changes.
class AuthFailed : public Unavailable {
 public:
  using Unavailable::Unavailable;
};

// The call's deadline (the query timeout, or an earlier caller deadline)
// passed before the answer came. A query that was running was cancelled on
// the server; one still queued behind others was never run or is discarded.
class Timeout : public Error {
 public:
  using Error::Error;
};

// The server answered with an error: a syntax error, a constraint violation,
// a serialization failure... Only the statement of this call failed; the
// connection stays usable for every other fiber.
class QueryError : public Error {
 public:
  QueryError(std::string server, const std::string& what, std::string sqlstate,
             std::string message, std::string detail, std::string constraint)
      : Error(std::move(server), what), sqlstate_(std::move(sqlstate)),
        message_(std::move(message)), detail_(std::move(detail)),
        constraint_(std::move(constraint)) {}
  // The five-character SQLSTATE ("23505" unique_violation, "42P01"
  // undefined_table, "40001" serialization_failure, ...).
  const std::string& sqlstate() const noexcept { return sqlstate_; }
  // The server's primary message, without the "ERROR:" prefix.
  const std::string& message() const noexcept { return message_; }
  const std::string& detail() const noexcept { return detail_; }
  // The violated constraint's name, when the error concerns one.
  const std::string& constraint() const noexcept { return constraint_; }

 private:
  std::string sqlstate_;
  std::string message_;
  std::string detail_;
  std::string constraint_;
};

// A value read as a type it does not have: Field::as<int32_t>() on a text
// column, a NULL read into a non-optional, a row or column that is not there.
class TypeError : public Error {
 public:
  using Error::Error;
};

}  // namespace spindle::pg
