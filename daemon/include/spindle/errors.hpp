// errors.hpp: exceptions of the public app API.
//
// A handler may throw HttpError to answer with a given status (only while the
// response head has not been sent). ClientGone is thrown by Request and
// Response calls when the connection to nginx broke or the request was
// aborted. It is a spindle::Cancelled (fiber.hpp), the one cancellation type:
// any Cancelled escaping a handler of a request that was cancelled (or whose
// connection broke) is a normal end of the handler, and the server logs
// nothing. An unhandled redis::Unavailable or redis::Timeout becomes a 503
// with Retry-After (redis_errors.hpp). Any other exception escaping a handler
// becomes a 500 (or an ABORT frame when the head was already sent) and is
// logged.
// No thread or fiber contract: plain values.
#pragma once

#include <stdexcept>
#include <string>

#include <spindle/fiber.hpp>

namespace spindle {

class HttpError : public std::runtime_error {
 public:
  HttpError(int status, const std::string& message)
      : std::runtime_error(message), status_(status) {}
  int status() const noexcept { return status_; }

 private:
  int status_;
};

// The client went away: catch it as ClientGone, or as Cancelled together
// with every other cancellation (a Redis call's, say).
class ClientGone : public Cancelled {
 public:
  explicit ClientGone(const std::string& why) : why_(why) {}
  const char* what() const noexcept override { return why_.what(); }

 private:
  std::runtime_error why_;  // holds the message; copying it never throws
};

}  // namespace spindle
