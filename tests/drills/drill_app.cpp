// drill_app.cpp: the app the fault drills run behind nginx. Routes:
//   GET  /pid            the answering worker's pid
//   GET  /sleep?ms=N     holds the request N ms in its fiber, then "ok"
//   POST /echo           reads the body; "<length>" (a POST load with bodies)
//   GET  /redis          GET drill:key from the daemon's `redis:` section;
//                        200 with the value, 503 + Retry-After when Redis fails
//                        (500 when the daemon has no redis: section)
//   GET  /big?mib=N      N MiB of 'x' in 64 KiB writes (each write may park
//                        the fiber while the connection is full)
//   GET  /produced       bytes /big handlers of this worker have written so far
// A worker is one thread, so the counters need no lock; they are per worker
// (the drills run one).
#include <spindle/app.hpp>
#include <spindle/redis.hpp>

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

namespace {

uint64_t g_produced = 0;

void Sleep(spindle::Request& req, spindle::Response& res) {
  long long ms = std::clamp<long long>(req.query_int("ms", 0), 0, 60000);
  if (spindle::this_fiber::sleep_for(std::chrono::milliseconds(ms)) ==
      spindle::WaitStatus::kCancelled) {
    return;
  }
  res.send(200, "text/plain", "ok");
}

void Echo(spindle::Request& req, spindle::Response& res) {
  char buf[16384];
  uint64_t length = 0;
  for (size_t n; (n = req.read_some(buf, sizeof(buf))) > 0;) length += n;
  res.send(200, "text/plain", std::to_string(length));
}

void Big(spindle::Request& req, spindle::Response& res) {
  long long mib = std::clamp<long long>(req.query_int("mib", 1), 0, 4096);
  const std::string chunk(64 * 1024, 'x');
  res.set_header("Content-Type", "application/octet-stream");
  for (long long i = 0; i < mib * 16; ++i) {
    res.write(chunk);  // throws ClientGone when the client went away
    g_produced += chunk.size();
  }
  res.finish();
}

void Init(spindle::AppContext& app) {
  // No I/O until the first command: drills without Redis pay nothing.
  auto redis = app.redis_configured()
                   ? std::make_shared<spindle::redis::Client>(app.redis_config())
                   : nullptr;
  app.get("/pid", [](spindle::Request&, spindle::Response& res) {
    res.send(200, "text/plain", std::to_string(getpid()));
  });
  app.get("/sleep", Sleep);
  app.post("/echo", Echo);
  app.get("/big", Big);
  app.get("/produced", [](spindle::Request&, spindle::Response& res) {
    res.send(200, "text/plain", std::to_string(g_produced));
  });
  app.get("/redis", [redis](spindle::Request&, spindle::Response& res) {
    if (!redis) return res.send(500, "text/plain", "no redis: section\n");
    // A Redis failure escapes: the server answers 503 with Retry-After.
    res.send(200, "text/plain", redis->get("drill:key").value_or("nil"));
  });
}

}  // namespace

SPINDLE_APP(Init)
