// errors.hpp: exceptions of the public app API.
//
// A handler may throw HttpError to answer with a given status (only while the
// response head has not been sent). ClientGone is thrown by Request and
// Response calls when the connection to nginx broke or the request was
// aborted; the server treats it as a normal end of the handler and logs
// nothing. Any other exception escaping a handler becomes a 500 (or an ABORT
// frame when the head was already sent) and is logged.
#pragma once

#include <stdexcept>
#include <string>

namespace spindle {

class HttpError : public std::runtime_error {
 public:
  HttpError(int status, const std::string& message)
      : std::runtime_error(message), status_(status) {}
  int status() const noexcept { return status_; }

 private:
  int status_;
};

class ClientGone : public std::runtime_error {
 public:
  explicit ClientGone(const std::string& why) : std::runtime_error(why) {}
};

}  // namespace spindle
