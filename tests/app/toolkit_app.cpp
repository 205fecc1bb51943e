// toolkit_app.cpp: an app used only by tests/app's daemon tests, one route
// per piece of the app author's toolkit the lead wrote: the request's
// context (address, scheme, host, deadline, multi-valued query and
// headers, a cookie), deadline inheritance by Redis and PostgreSQL calls, middleware
// order and short-circuits, redirects, the drain (a long poll on
// wake_on_drain), server-sent events, and the shutdown hooks.
#include <spindle/app.hpp>
#include <spindle/lifecycle.hpp>
#include <spindle/pg.hpp>
#include <spindle/redis.hpp>
#include <spindle/sse.hpp>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>

namespace {

using namespace std::chrono_literals;

// GET /context: what the request knows about itself, as JSON.
void Context(spindle::Request& req, spindle::Response& res) {
  long long left_ms = -1;
  if (!req.deadline().is_never()) {
    left_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                  req.deadline().time_point() - spindle::Clock::now()).count();
  }
  nlohmann::json multi = nlohmann::json::array();
  for (std::string_view v : req.header_values("X-Multi")) multi.push_back(std::string(v));
  nlohmann::json out = {{"remote_addr", std::string(req.remote_addr())},
                        {"scheme", std::string(req.scheme())},
                        {"host", std::string(req.host())},
                        {"deadline_ms", left_ms},
                        {"tags", req.query_values("tag")},
                        {"multi", multi},
                        {"theme", std::string(req.cookie("theme").value_or("-"))}};
  res.send(200, "application/json", out.dump());
}

// Middleware: every hook appends to the trace of this request, and
// GET /hooks/trace answers the trace of the request before it.
thread_local std::string tl_trace;
thread_local std::string tl_last_trace;

spindle::Hook Trace(std::string mark) {
  return [mark](spindle::Request&, spindle::Response& res) {
    tl_trace += mark + (res.head_sent() ? "(sent)" : "") + ",";
  };
}

void AddHookRoutes(spindle::AppContext& ctx) {
  ctx.before([](spindle::Request& req, spindle::Response& res) {
    tl_trace = "A1,";
    if (req.path().find("/hooks/") != std::string_view::npos) {
      res.set_header("X-Request-Id", "req-" + std::string(req.header("X-Seq").value_or("0")));
    }
  });
  ctx.after([](spindle::Request&, spindle::Response& res) {
    tl_trace += "A2:" + std::to_string(res.status());
    tl_last_trace = tl_trace;
  });
  ctx.get("/hooks/open", [](spindle::Request&, spindle::Response& res) {
       tl_trace += "H,";
       res.send(200, "text/plain", "open");
     })
      .before(Trace("R1"))
      .before(Trace("R2"))
      .after(Trace("R3"));
  ctx.get("/hooks/private", [](spindle::Request&, spindle::Response& res) {
       tl_trace += "H,";
       res.send(200, "text/plain", "secret");
     })
      .before([](spindle::Request& req, spindle::Response& res) {
        tl_trace += "AUTH,";
        if (req.header("X-Token") != "t") res.send(401, "text/plain", "who are you?");
      })
      .before(Trace("R2"));
  ctx.get("/hooks/forbidden", [](spindle::Request&, spindle::Response& res) {
       res.send(200, "text/plain", "never");
     })
      .before([](spindle::Request&, spindle::Response&) {
        throw spindle::HttpError(403, "hook says no");
      });
  ctx.get("/hooks/trace", [](spindle::Request&, spindle::Response& res) {
    res.send(200, "text/plain", tl_last_trace);
  });
}

// GET /redirect?to=...&status=N
void Redirect(spindle::Request& req, spindle::Response& res) {
  res.redirect(req.query("to").value_or(""), static_cast<int>(req.query_int("status", 302)));
}

// GET /drain/poll?ms=N: a long poll that answers "drained" when the worker
// begins to drain, "timeout" after N ms otherwise.
void DrainPoll(spindle::Request& req, spindle::Response& res) {
  spindle::Event never;
  auto limit = std::chrono::milliseconds(req.query_int("ms", 30000));
  spindle::WaitStatus st =
      spindle::wake_on_drain([&] { return never.wait_until(spindle::Deadline::after(limit)); });
  res.set_header("Cache-Control", "no-store");
  res.send(200, "text/plain",
           st == spindle::WaitStatus::kTimeout && spindle::draining() ? "drained" : "timeout");
}

// GET /sse?count=N&wait_ms=M&heartbeat_ms=H: an event stream that first
// names the Last-Event-ID it got, sends N two-line events with ids, then
// waits up to M ms on a channel nobody feeds (heartbeats every H ms), and
// ends with an event saying why the wait ended.
void Sse(spindle::Request& req, spindle::Response& res) {
  spindle::EventStreamOptions o;
  o.heartbeat = std::chrono::milliseconds(req.query_int("heartbeat_ms", 15000));
  if (req.query("retry_ms")) o.retry = std::chrono::milliseconds(req.query_int("retry_ms", 0));
  spindle::EventStream stream(req, res, o);
  stream.send(std::string(stream.last_event_id().value_or("none")), "resume");
  long long count = req.query_int("count", 0);
  for (long long i = 1; i <= count; ++i) {
    std::string n = std::to_string(i);
    stream.send("line one of " + n + "\nline two of " + n, "", n);
  }
  spindle::Channel<int> quiet(1);
  int v = 0;
  spindle::ChannelStatus st = stream.next(
      quiet, v, spindle::Deadline::after(std::chrono::milliseconds(req.query_int("wait_ms", 0))));
  stream.send(st == spindle::ChannelStatus::kTimeout && spindle::draining() ? "drained" : "timeout",
              "end");
}

void AddBackendRoutes(spindle::AppContext& ctx) {
  // GET /deadline/redis?ms=N: the request's deadline narrowed to N ms, then
  // a BLPOP that would block for 5 s: it must end as a Timeout (503) at the
  // deadline.
  if (ctx.redis_configured()) {
    auto redis = std::make_shared<spindle::redis::Client>(ctx.redis_config());
    ctx.get("/deadline/redis", [redis](spindle::Request& req, spindle::Response& res) {
      if (auto ms = req.query_int("ms", 0); ms > 0) {
        req.set_deadline(spindle::Deadline::after(std::chrono::milliseconds(ms)));
      }
      spindle::redis::Reply r = redis->command("BLPOP", "toolkit:never", 5);
      res.send(200, "text/plain", r.is_nil() ? "nil" : "value");
    });
  }
  if (ctx.postgres_configured()) {
    auto pg = std::make_shared<spindle::pg::Client>(ctx.postgres_config());
    ctx.get("/deadline/pg", [pg](spindle::Request& req, spindle::Response& res) {
      if (auto ms = req.query_int("ms", 0); ms > 0) {
        req.set_deadline(spindle::Deadline::after(std::chrono::milliseconds(ms)));
      }
      (void)pg->exec("SELECT pg_sleep(5)");
      res.send(200, "text/plain", "slept");
    });
  }
}

void Init(spindle::AppContext& ctx) {
  ctx.get("/context", Context);
  ctx.get("/redirect", Redirect);
  ctx.get("/drain/poll", DrainPoll);
  ctx.get("/sse", Sse);
  AddHookRoutes(ctx);
  AddBackendRoutes(ctx);
  std::string name = ctx.name();
  ctx.on_shutdown([name] { spdlog::info("toolkit shutdown hook 1 of '{}' ran", name); });
  ctx.on_shutdown([name] {
    spdlog::info("toolkit shutdown hook 2 of '{}' ran", name);
    throw std::runtime_error("hook 2 fails on purpose");
  });
}

}  // namespace

SPINDLE_APP(Init)
