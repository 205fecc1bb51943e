// test_app.cpp: an app used only by the daemon-level tests, exercising what
// the example app does not: path parameters, 405s, incremental request body
// reads answered incrementally, handlers that throw, HttpError, the app's
// config subtree, the worker counters, and routing on the normalised path
// (/admin/..., /public, /where/..., /seg/...), and what the server does with
// what escapes a handler (AddEscapeRoutes: Redis failures, Cancelled, an
// exception rethrown after suspending in its catch block), the app
// metrics and logging API (AddMetricsLogRoutes), and the body readers of
// the app toolkit (AddBodyReaderRoutes: forms, uploads, JSON).
#include <spindle/app.hpp>
#include <spindle/form.hpp>
#include <spindle/log.hpp>
#include <spindle/metrics.hpp>
#include <spindle/multipart.hpp>
#include <spindle/pg.hpp>
#include <spindle/redis.hpp>
#include <spindle/server.hpp>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>

#include <unistd.h>

namespace {

// Not a tail call (the result is used after the call), and the volatile
// array keeps each frame on the stack.
[[gnu::noinline]] long Recurse(long depth, long limit) {
  volatile char frame[512];
  frame[0] = static_cast<char>(depth);
  if (depth >= limit) return frame[0];
  return Recurse(depth + 1, limit) + frame[0];
}

// Handlers that let exceptions escape (tests/e2e/escape_e2e_test.cc). With
// a `redis:` subtree in the app's config: GET /redis/get (a GET; Unavailable
// while Redis is down), /redis/slow (DEBUG SLEEP past command_timeout:
// Timeout), /redis/reply-error (ReplyError). With a `postgres:` section or
// `config.postgres` (AppContext::postgres_config): /pg/get (SELECT 42;
// Unavailable while the server is down), /pg/slow (pg_sleep past
// query_timeout: Timeout), /pg/error (QueryError). Always: /cancel-sleep?ms=N
// throws Cancelled when its sleep is cancelled; /rethrow-after-sleep sleeps
// inside a catch block and rethrows.
void AddEscapeRoutes(spindle::AppContext& app, const nlohmann::json& config) {
  if (config.is_object() && config.contains("redis")) {
    auto redis = std::make_shared<spindle::redis::Client>(
        spindle::redis::Config::FromJson(config["redis"], app.name() + ".redis"));
    app.get("/redis/get", [redis](spindle::Request&, spindle::Response& res) {
      res.send(200, "text/plain", redis->get("test-app:key").value_or("nil"));
    });
    app.get("/redis/slow", [redis](spindle::Request&, spindle::Response& res) {
      res.send(200, "text/plain", redis->command("DEBUG", "SLEEP", "1").str());
    });
    app.get("/redis/reply-error", [redis](spindle::Request&, spindle::Response& res) {
      res.send(200, "text/plain", std::to_string(redis->command("PING").integer()));
    });
  }
  if (app.postgres_configured()) {
    auto pg = std::make_shared<spindle::pg::Client>(app.postgres_config());
    app.get("/pg/get", [pg](spindle::Request&, spindle::Response& res) {
      res.send(200, "text/plain", pg->exec("SELECT 42::text").value<std::string>());
    });
    app.get("/pg/slow", [pg](spindle::Request&, spindle::Response& res) {
      res.send(200, "text/plain", pg->exec("SELECT pg_sleep(2)::text").value<std::string>());
    });
    app.get("/pg/error", [pg](spindle::Request&, spindle::Response& res) {
      res.send(200, "text/plain", pg->exec("SELECT no_such_column").value<std::string>());
    });
  }
  app.get("/cancel-sleep", [](spindle::Request& req, spindle::Response& res) {
    spdlog::info("test-app: cancel-sleep waiting");
    auto ms = std::chrono::milliseconds(req.query_int("ms", 0));
    if (spindle::this_fiber::sleep_for(ms) == spindle::WaitStatus::kCancelled) {
      throw spindle::Cancelled();
    }
    res.send(200, "text/plain", "slept");
  });
  app.get("/rethrow-after-sleep", [](spindle::Request&, spindle::Response&) {
    try {
      throw std::runtime_error("rethrown after a sleep");
    } catch (...) {
      (void)spindle::this_fiber::sleep_for(std::chrono::milliseconds(20));
      throw;
    }
  });
}

// The app metrics and logging API (tests/app/metrics_daemon_test.cc):
// GET /metrics/bump?n=N&ms=M adds N to test_app_bumps_total, observes M ms
// in test_app_bump_seconds, counts test_app_bumps_open up and answers this
// worker's pid; GET /log?msg=TEXT[&level=debug|info|warn|error][&plain=1]
// logs TEXT through the app's logger (plain: without the app name), and
// ?n=N logs "n=N" through the variadic form.
void AddMetricsLogRoutes(spindle::AppContext& app) {
  spindle::Counter bumps = spindle::metrics::counter("test_app_bumps_total", "Bumps received.");
  spindle::Histogram took =
      spindle::metrics::histogram("test_app_bump_seconds", "The ms parameter of each bump.");
  spindle::Gauge open = spindle::metrics::gauge("test_app_bumps_open", "Bumps seen, as a gauge.");
  app.get("/metrics/bump", [bumps, took, open](spindle::Request& req, spindle::Response& res) {
    bumps.add(static_cast<uint64_t>(req.query_int("n", 1)));
    took.observe(std::chrono::milliseconds(req.query_int("ms", 0)));
    open.inc();
    res.send(200, "text/plain", std::to_string(getpid()));
  });
  spindle::Logger log = app.logger();
  app.get("/log", [log](spindle::Request& req, spindle::Response& res) {
    const std::string level = req.query("level").value_or("info");
    const spindle::LogLevel l = level == "debug"  ? spindle::LogLevel::kDebug
                                : level == "warn"  ? spindle::LogLevel::kWarn
                                : level == "error" ? spindle::LogLevel::kError
                                                   : spindle::LogLevel::kInfo;
    if (auto msg = req.query("msg")) {
      if (req.query("plain")) spindle::Logger().write(l, *msg);
      else log.write(l, *msg);
    }
    if (auto n = req.query("n")) {
      log.info("n=", req.query_int("n", -1), " (", n->size(), " digits)");
    }
    res.send(200, "text/plain", log.enabled(l) ? "enabled" : "disabled");
  });
}

// FNV-1a, 64 bits: what /upload/hash reports for each part's content (the
// tests compute it over what they send).
struct Fnv1a {
  uint64_t h = 14695981039346656037ull;
  void Add(const char* p, size_t n) {
    for (size_t i = 0; i < n; ++i) h = (h ^ static_cast<unsigned char>(p[i])) * 1099511628211ull;
  }
};

size_t QuerySize(const spindle::Request& req, const char* name, size_t fallback) {
  return static_cast<size_t>(req.query_int(name, static_cast<long long>(fallback)));
}

// The readers' limits from the query (?max_body=, ?max_parts=, ...).
spindle::MultipartLimits MultipartLimitsOf(const spindle::Request& req) {
  spindle::MultipartLimits l;
  l.max_body = QuerySize(req, "max_body", l.max_body);
  l.max_parts = QuerySize(req, "max_parts", l.max_parts);
  l.max_header_size = QuerySize(req, "max_header", l.max_header_size);
  l.max_field_size = QuerySize(req, "max_field", l.max_field_size);
  l.max_file_size = QuerySize(req, "max_file", l.max_file_size);
  l.max_form_size = QuerySize(req, "max_form", l.max_form_size);
  return l;
}

nlohmann::json FieldsJson(const spindle::Form& form) {
  nlohmann::json out = nlohmann::json::array();
  for (const spindle::FormField& f : form) out.push_back({f.name, f.value});
  return out;
}

// The body readers (tests/app/body_reader_daemon_test.cc): POST /form/echo
// (read_form), /upload/hash (MultipartReader: each part's headers, size and
// FNV-1a; fields' text; ?skip=1 reads no part, ?skip_files=1 reads no file),
// /multipart/form (read_multipart_form, files counted), /upload/buffer (the
// whole body in memory: the memory test's control), /json/echo
// (Request::json into Response::json, ?limit=); GET /json/error (HttpError
// with a JSON body), /json/bad-utf8 (a string that is not UTF-8).
void AddBodyReaderRoutes(spindle::AppContext& app) {
  app.post("/form/echo", [](spindle::Request& req, spindle::Response& res) {
    spindle::FormLimits l;
    l.max_body = QuerySize(req, "max_body", l.max_body);
    l.max_fields = QuerySize(req, "max_fields", l.max_fields);
    l.max_field_size = QuerySize(req, "max_field", l.max_field_size);
    l.max_name_size = QuerySize(req, "max_name", l.max_name_size);
    res.json(FieldsJson(spindle::read_form(req, l)));
  });
  app.post("/upload/hash", [](spindle::Request& req, spindle::Response& res) {
    spindle::MultipartReader reader(req, MultipartLimitsOf(req));
    const bool skip = req.query_int("skip", 0) != 0;
    const bool skip_files = req.query_int("skip_files", 0) != 0;
    std::string buf(64 * 1024, '\0');
    nlohmann::json parts = nlohmann::json::array();
    while (spindle::MultipartPart* part = reader.next_part()) {
      nlohmann::json p = {{"name", part->name()},
                          {"content_type", part->content_type()},
                          {"headers", part->headers().size()}};
      p["filename"] = part->filename() ? nlohmann::json(*part->filename()) : nullptr;
      if (!skip && !(skip_files && part->is_file())) {
        Fnv1a hash;
        if (part->is_file()) {
          size_t n;
          while ((n = part->read(buf.data(), buf.size())) > 0) hash.Add(buf.data(), n);
        } else {
          std::string text = part->text();
          hash.Add(text.data(), text.size());
          p["text"] = text;
        }
        p["fnv"] = std::to_string(hash.h);
      }
      p["size"] = part->size();
      parts.push_back(std::move(p));
    }
    res.json(parts);
  });
  app.post("/multipart/form", [](spindle::Request& req, spindle::Response& res) {
    nlohmann::json files = nlohmann::json::array();
    spindle::Form form = spindle::read_multipart_form(
        req, MultipartLimitsOf(req), [&files](spindle::MultipartPart& part) {
          char buf[4096];
          uint64_t total = 0;
          size_t n;
          while ((n = part.read(buf, sizeof(buf))) > 0) total += n;
          files.push_back(
              {{"name", part.name()}, {"filename", *part.filename()}, {"bytes", total}});
        });
    res.json({{"fields", FieldsJson(form)}, {"files", files}});
  });
  app.post("/upload/buffer", [](spindle::Request& req, spindle::Response& res) {
    res.json({{"bytes", req.read_all(64 << 20).size()}});
  });
  app.post("/json/echo", [](spindle::Request& req, spindle::Response& res) {
    res.json(req.json(QuerySize(req, "limit", 1 << 20)));
  });
  app.get("/json/error", [](spindle::Request&, spindle::Response&) {
    throw spindle::HttpError(422, nlohmann::json{{"error", "name is missing"}, {"field", "name"}});
  });
  app.get("/json/bad-utf8", [](spindle::Request&, spindle::Response& res) {
    res.json({{"s", std::string("a\xff\xfe b")}}, 201);
  });
}

void Init(spindle::AppContext& app) {
  nlohmann::json config = app.config();
  AddEscapeRoutes(app, config);
  AddMetricsLogRoutes(app);
  AddBodyReaderRoutes(app);
  app.get("/users/{id}", [](spindle::Request& req, spindle::Response& res) {
    res.send(200, "text/plain", "user " + std::string(*req.path_param("id")));
  });
  app.get("/users/{id}/posts/{post}", [](spindle::Request& req, spindle::Response& res) {
    res.send(200, "text/plain",
             std::string(*req.path_param("id")) + "/" + std::string(*req.path_param("post")));
  });
  app.get("/files/{rest...}", [](spindle::Request& req, spindle::Response& res) {
    res.send(200, "text/plain", std::string(*req.path_param("rest")));
  });
  // Routing on the normalised path (tests/e2e/path_e2e_test.cc): a route
  // that nginx protects with `location /admin/`, one it serves, and two
  // that show what the router saw.
  app.get("/admin/{section}/{id}", [](spindle::Request&, spindle::Response& res) {
    res.send(200, "text/plain", "admin");
  });
  app.get("/public", [](spindle::Request&, spindle::Response& res) {
    res.send(200, "text/plain", "public");
  });
  app.any("/where/{rest...}", [](spindle::Request& req, spindle::Response& res) {
    nlohmann::json j = {{"path", req.path()}, {"uri", req.uri()},
                        {"rest", *req.path_param("rest")}};
    res.send(200, "application/json", j.dump());
  });
  app.get("/seg/{a}/{b}", [](spindle::Request& req, spindle::Response& res) {
    nlohmann::json j = {{"a", *req.path_param("a")}, {"b", *req.path_param("b")}};
    res.send(200, "application/json", j.dump());
  });
  // Response heads: one header of ?bytes=N bytes, or ?headers=N headers.
  app.get("/big-head", [](spindle::Request& req, spindle::Response& res) {
    res.set_header("X-Big", std::string(static_cast<size_t>(req.query_int("bytes", 0)), 'h'));
    for (long long i = 0; i < req.query_int("headers", 0); ++i) res.add_header("X-N", "1");
    res.send(200, "text/plain", "ok");
  });
  // A header that would split the response (?kind=crlf|lf|nul) or a bad name.
  app.get("/bad-header", [](spindle::Request& req, spindle::Response& res) {
    std::string kind = req.query("kind").value_or("");
    if (kind == "crlf") res.set_header("X-A", "a\r\nSet-Cookie: evil=1");
    if (kind == "lf") res.add_header("X-A", "a\nX-B: b");
    if (kind == "nul") res.add_header("X-A", std::string("a\0b", 3));
    if (kind == "name") res.add_header("Bad Name", "v");
    if (kind == "colon") res.add_header("X-A:", "v");
    res.send(200, "text/plain", "ok");
  });
  app.get("/items", [](spindle::Request&, spindle::Response& res) {
    res.send(200, "text/plain", "list");
  });
  app.post("/items", [](spindle::Request& req, spindle::Response& res) {
    res.send(201, "text/plain", "created " + req.read_all(1 << 20));
  });
  app.get("/config", [config](spindle::Request& req, spindle::Response& res) {
    nlohmann::json out = {{"config", config},
                          {"route", req.route()},
                          {"q", req.query("q").value_or("")}};
    res.send(200, "application/json", out.dump());
  });
  app.get("/stats", [](spindle::Request&, spindle::Response& res) {
    const auto& s = spindle::worker_stats();
    nlohmann::json out = {{"accepted", s.connections_accepted}, {"requests", s.requests},
                          {"cancelled", s.cancelled},           {"rejected", s.rejected},
                          {"inflight", s.inflight},             {"queued", s.queued},
                          {"handler_errors", s.handler_errors}};
    res.send(200, "application/json", out.dump());
  });
  app.get("/throw", [](spindle::Request&, spindle::Response&) {
    throw std::runtime_error("boom");
  });
  app.get("/throw-after-head", [](spindle::Request&, spindle::Response& res) {
    res.write("partial");
    res.flush();
    throw std::runtime_error("late boom");
  });
  // GET /overflow[?depth=N]: recursion N deep (default: far deeper than
  // any stack), to overflow the fiber's stack.
  app.get("/overflow", [](spindle::Request& req, spindle::Response& res) {
    res.send(200, "text/plain", std::to_string(Recurse(1, req.query_int("depth", 1L << 40))));
  });
  // GET /status?code=N: replies with status N (an app bug when N is 1xx).
  app.get("/status", [](spindle::Request& req, spindle::Response& res) {
    res.send(static_cast<int>(req.query_int("code", 200)), "text/plain", "status body\n");
  });
  app.get("/teapot", [](spindle::Request&, spindle::Response&) {
    throw spindle::HttpError(418, "short and stout");
  });
  app.get("/sleep", [](spindle::Request& req, spindle::Response& res) {
    long long ms = req.query_int("ms", 0);
    if (spindle::this_fiber::sleep_for(std::chrono::milliseconds(ms)) ==
        spindle::WaitStatus::kCancelled) {
      spdlog::info("test-app: sleep cancelled");
      return;
    }
    res.send(200, "text/plain", "slept");
  });
  // Answers each body read as soon as it happens, so a test can prove the
  // body is streamed: it sends one piece, waits for "got N", sends the next.
  app.post("/upload-chunks", [](spindle::Request& req, spindle::Response& res) {
    res.set_header("Content-Type", "text/plain");
    res.flush();
    char buf[4096];
    size_t total = 0;
    for (;;) {
      size_t n = req.read_some(buf, sizeof(buf));
      if (n == 0) break;
      total += n;
      res.write("got " + std::to_string(n) + "\n");
      res.flush();
    }
    res.write("total " + std::to_string(total) + "\n");
  });
  // Reads the body slower than nginx sends it (?pause_us= between 64 KiB
  // reads), so unread body would pile up in the daemon if it kept reading.
  app.post("/slow-upload", [](spindle::Request& req, spindle::Response& res) {
    auto pause = std::chrono::microseconds(req.query_int("pause_us", 1000));
    std::string buf(64 * 1024, '\0');
    size_t total = 0;
    for (;;) {
      size_t n = req.read_some(buf.data(), buf.size());
      if (n == 0) break;
      total += n;
      spindle::this_fiber::sleep_for(pause);
    }
    res.send(200, "text/plain", "total " + std::to_string(total) + "\n");
  });
  app.post("/echo-body", [](spindle::Request& req, spindle::Response& res) {
    res.send(200, "application/octet-stream", req.read_all(64 << 20));
  });
  // Writes a large body in one call (exercises the writev path).
  app.get("/big", [](spindle::Request& req, spindle::Response& res) {
    size_t n = static_cast<size_t>(req.query_int("n", 1 << 20));
    res.send(200, "application/octet-stream", std::string(n, 'x'));
  });
}

}  // namespace

SPINDLE_APP(Init)
