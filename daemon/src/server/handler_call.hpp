// handler_call.hpp: runs one route's handler and sorts how it ended into the
// reply the server still owes: none (it returned, or its client is gone), the
// status of an HttpError, 503 for an unavailable backend (an unhandled
// redis::Unavailable or redis::Timeout, pg::Unavailable or pg::Timeout), or
// 500 for any other exception (pg::QueryError and pg::TypeError included).
// The connection writes that reply and the log line (connection.cpp).
//
// Fiber contract: the request's handler fiber; may suspend (the handler,
// and finishing a response the handler left open). The engine's own
// unwinding exception (forced_unwind) passes through.
#pragma once

#include <spindle/request.hpp>
#include <spindle/response.hpp>
#include <spindle/router.hpp>

#include <string>

namespace spindle::server {

struct HandlerOutcome {
  enum class Kind {
    kReturned,     // finished normally (or left finishing to the server)
    kGone,         // ended by its cancellation (ClientGone, Cancelled)
    kHttp,         // HttpError: `status`, `message` is the body (JSON when `json`)
    kUnavailable,  // redis:: or pg::Unavailable / Timeout: 503; `message` says where
    kError,        // anything else: 500; `message` is what() for the log
  };
  Kind kind = Kind::kReturned;
  int status = 0;
  std::string message;
  bool json = false;  // kHttp: `message` is an application/json document
};

HandlerOutcome CallHandler(const Router::Route& route, Request& req, Response& res);

}  // namespace spindle::server
