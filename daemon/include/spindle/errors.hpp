// errors.hpp: exceptions of the public app API.
//
// A handler may throw HttpError to answer with a given status (only while the
// response head has not been sent): its message as a text/plain body, or a
// nlohmann::json it was built from as an application/json body
// (`throw HttpError(422, nlohmann::json{{"error", "name is missing"}})`).
// ClientGone is thrown by Request and
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

#include <concepts>
#include <memory>
#include <stdexcept>
#include <string>
#include <type_traits>

#include <nlohmann/json_fwd.hpp>

#include <spindle/fiber.hpp>

namespace spindle {

class HttpError : public std::runtime_error {
 public:
  HttpError(int status, const std::string& message)
      : std::runtime_error(message), status_(status) {}
  // A JSON body; what() is its compact dump. Takes a nlohmann::json only,
  // so a string message never turns into a JSON string by conversion.
  template <class Json>
    requires std::same_as<std::remove_cvref_t<Json>, nlohmann::json>
  HttpError(int status, Json&& body) : HttpError(status, JsonBody(body)) {}

  int status() const noexcept { return status_; }
  // The JSON body, or nullptr for a text message.
  const nlohmann::json* json() const noexcept { return json_.get(); }

 private:
  struct JsonBody {
    explicit JsonBody(const nlohmann::json& body);  // json.cpp
    std::shared_ptr<const nlohmann::json> value;
    std::string text;
  };
  HttpError(int status, JsonBody body)
      : std::runtime_error(body.text), status_(status), json_(std::move(body.value)) {}

  int status_;
  // Shared, so copying the exception never throws.
  std::shared_ptr<const nlohmann::json> json_;
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
