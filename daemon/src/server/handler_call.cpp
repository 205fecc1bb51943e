// handler_call.cpp: see handler_call.hpp.
#include "server/handler_call.hpp"

#include <spindle/errors.hpp>
#include <spindle/fiber.hpp>
#include <spindle/pg_errors.hpp>
#include <spindle/redis_errors.hpp>

#include <boost/context/detail/exception.hpp>

#include <exception>

namespace spindle::server {
namespace {

HandlerOutcome Outcome(HandlerOutcome::Kind kind, int status, std::string message,
                       bool json = false) {
  return HandlerOutcome{kind, status, std::move(message), json};
}

HandlerOutcome BackendDown(const redis::Error& e) {
  return Outcome(HandlerOutcome::Kind::kUnavailable, 503,
                 "redis at '" + e.address() + "' failed: '" + e.what() + "'");
}

HandlerOutcome BackendDown(const pg::Error& e) {
  return Outcome(HandlerOutcome::Kind::kUnavailable, 503,
                 "postgres at '" + e.server() + "' failed: '" + e.what() + "'");
}

}  // namespace

HandlerOutcome CallHandler(const Router::Route& route, Request& req, Response& res) {
  using Kind = HandlerOutcome::Kind;
  try {
    route.handler(req, res);
    if (!res.finished() && !this_fiber::is_cancelled()) res.finish();
    return {};
  } catch (const boost::context::detail::forced_unwind&) {
    throw;  // the engine is unwinding this fiber's stack
  } catch (const ClientGone&) {
    return Outcome(Kind::kGone, 0, {});
  } catch (const Cancelled& e) {
    // Ours when this fiber was cancelled (its client left); thrown with no
    // cancellation, it is a handler bug and the client still waits.
    if (this_fiber::is_cancelled()) return Outcome(Kind::kGone, 0, {});
    return Outcome(Kind::kError, 500, e.what());
  } catch (const HttpError& e) {
    return Outcome(Kind::kHttp, e.status(), e.what(), e.json() != nullptr);
  } catch (const redis::Unavailable& e) {
    return BackendDown(e);
  } catch (const redis::Timeout& e) {
    return BackendDown(e);
  } catch (const pg::Unavailable& e) {
    return BackendDown(e);
  } catch (const pg::Timeout& e) {
    return BackendDown(e);
  } catch (const std::exception& e) {
    return Outcome(Kind::kError, 500, e.what());
  } catch (...) {
    return Outcome(Kind::kError, 500, "unknown exception");
  }
}

}  // namespace spindle::server
