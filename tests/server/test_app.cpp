// test_app.cpp: an app used only by the daemon-level tests, exercising what
// the example app does not: path parameters, 405s, incremental request body
// reads answered incrementally, handlers that throw, HttpError, the app's
// config subtree and the worker counters.
#include <spindle/app.hpp>
#include <spindle/server.hpp>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <stdexcept>
#include <string>

namespace {

// Not a tail call (the result is used after the call), and the volatile
// array keeps each frame on the stack.
[[gnu::noinline]] long Recurse(long depth, long limit) {
  volatile char frame[512];
  frame[0] = static_cast<char>(depth);
  if (depth >= limit) return frame[0];
  return Recurse(depth + 1, limit) + frame[0];
}

void Init(spindle::AppContext& app) {
  nlohmann::json config = app.config();
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
                          {"inflight", s.inflight},             {"queued", s.queued}};
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
