// Exceptions thrown by the Redis client (spindle::redis::Client and friends).
//
// Every one derives from spindle::redis::Error, which names the Redis address
// it concerns, so a request handler can catch one type. The server answers
// an unhandled Unavailable or Timeout with 503 + Retry-After and a log line
// (an unhandled ReplyError is a 500). Cancellation of the calling fiber is
// reported as spindle::Cancelled (fiber.hpp), which is not an Error.
// No thread or fiber contract: plain values.
#pragma once

#include <stdexcept>
#include <string>

namespace spindle::redis {

// Base of every Redis client failure.
class Error : public std::runtime_error {
 public:
  Error(std::string address, const std::string& what)
      : std::runtime_error(what), address_(std::move(address)) {}
  // The configured address ("unix:/run/redis.sock", "127.0.0.1:6379").
  const std::string& address() const noexcept { return address_; }

 private:
  std::string address_;
};

// No usable connection: Redis is down, refused or closed the connection, the
// connection broke while the call was in flight, no pooled connection became
// free within the pool wait, or the client was closed. Retrying later may
// succeed; the client reconnects in the background.
class Unavailable : public Error {
 public:
  using Error::Error;
};

// Redis rejected the credentials (AUTH failed). Retrying will not help until
// the configuration changes.
class AuthFailed : public Unavailable {
 public:
  using Unavailable::Unavailable;
};

// The call's deadline (the command timeout, or an earlier caller deadline)
// passed before the reply came. The connection it used was discarded.
class Timeout : public Error {
 public:
  using Error::Error;
};

// Redis answered, but not with what the call expects: an error reply
// (WRONGTYPE, EXECABORT, ...) to a convenience call, or a reply of another
// type than the accessor asked for (Reply::integer() on a string).
class ReplyError : public Error {
 public:
  using Error::Error;
};

}  // namespace spindle::redis
