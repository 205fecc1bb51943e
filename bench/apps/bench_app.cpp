// bench_app.cpp: the app bench/run measures Spindle with. Every peer of the
// benchmark suite (bench/peers/) answers the same routes with the same
// bodies, so the figures compare servers, not apps:
//   GET /plaintext        "Hello, World!" (13 bytes, text/plain)
//   GET /sleep?ms=N       waits N ms in its fiber, then the same 13 bytes
//   GET /burn?us=N        spins the CPU for N us (a CPU-bound handler), then
//                         the same 13 bytes: shows how work spreads over workers
//   GET /redis            the value of the Redis key bench:hello (seeded by the
//                         driver with "Hello, World!")
//   GET /fortunes         the list bench:fortunes plus one message added at
//                         request time, sorted by message, rendered by the
//                         Mustache template fortunes.mustache (HTML-escaped)
//   GET /wait             a long poll: held until a message is published on the
//                         Redis channel bench:event (or ?s=N seconds, default
//                         120, pass: 504), answers the message
//   GET /notify           publishes "Hello, World!" on bench:event; answers the
//                         number of subscribers Redis delivered it to
// Config (the app's `config:` in spindled.yaml): templates (directory).
#include <spindle/app.hpp>
#include <spindle/mustache_cache.hpp>
#include <spindle/mustache_response.hpp>
#include <spindle/redis.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <memory>
#include <string>
#include <vector>

namespace {

constexpr char kBody[] = "Hello, World!";
constexpr long long kMaxSleepMs = 60 * 1000;
constexpr long long kMaxBurnUs = 1000 * 1000;
constexpr long long kMaxWaitS = 600;

struct App {
  spindle::redis::Client redis;
  std::shared_ptr<spindle::TemplateCache> templates;
};

void Plaintext(spindle::Request&, spindle::Response& res) { res.send(200, "text/plain", kBody); }

void Sleep(spindle::Request& req, spindle::Response& res) {
  long long ms = std::clamp<long long>(req.query_int("ms", 0), 0, kMaxSleepMs);
  if (spindle::this_fiber::sleep_for(std::chrono::milliseconds(ms)) ==
      spindle::WaitStatus::kCancelled) {
    return;  // the client went away
  }
  res.send(200, "text/plain", kBody);
}

// Thread CPU time, so the burn is N us of work however often the worker is
// preempted.
long long CpuMicros() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec * 1000000LL + ts.tv_nsec / 1000;
}

void Burn(spindle::Request& req, spindle::Response& res) {
  long long us = std::clamp<long long>(req.query_int("us", 100), 0, kMaxBurnUs);
  const long long until = CpuMicros() + us;
  volatile unsigned sink = 0;
  while (CpuMicros() < until) {
    for (unsigned i = 0; i < 256; ++i) sink = sink * 31 + i;
  }
  res.send(200, "text/plain", kBody);
}

void Redis(const App& app, spindle::Request&, spindle::Response& res) {
  auto value = app.redis.get("bench:hello");
  if (!value) return res.send(404, "text/plain", "bench:hello is not set\n");
  res.send(200, "text/plain", *value);
}

void Fortunes(const App& app, spindle::Request&, spindle::Response& res) {
  std::vector<std::string> messages = app.redis.lrange("bench:fortunes", 0, -1);
  struct Fortune {
    size_t id;
    std::string message;
  };
  std::vector<Fortune> fortunes;
  fortunes.reserve(messages.size() + 1);
  for (size_t i = 0; i < messages.size(); ++i) fortunes.push_back({i + 1, std::move(messages[i])});
  fortunes.push_back({0, "Additional fortune added at request time."});
  std::sort(fortunes.begin(), fortunes.end(),
            [](const Fortune& a, const Fortune& b) { return a.message < b.message; });
  nlohmann::json rows = nlohmann::json::array();
  for (Fortune& f : fortunes) rows.push_back({{"id", f.id}, {"message", std::move(f.message)}});
  spindle::render_to(res, *app.templates, "fortunes", {{"fortunes", std::move(rows)}});
}

void Wait(const App& app, spindle::Request& req, spindle::Response& res) {
  long long s = std::clamp<long long>(req.query_int("s", 120), 1, kMaxWaitS);
  spindle::redis::Subscription sub = app.redis.subscribe({"bench:event"});
  spindle::redis::Message message;
  switch (sub.pop_for(message, std::chrono::seconds(s))) {
    case spindle::ChannelStatus::kSuccess:
      return res.send(200, "text/plain", message.payload);
    case spindle::ChannelStatus::kTimeout:
      return res.send(504, "text/plain", "no event\n");
    default:
      return;  // cancelled (the client went away) or the client closed
  }
}

void Notify(const App& app, spindle::Request&, spindle::Response& res) {
  long long receivers = app.redis.publish("bench:event", kBody);
  res.send(200, "text/plain", std::to_string(receivers) + "\n");
}

void Init(spindle::AppContext& ctx) {
  const nlohmann::json& cfg = ctx.config().is_object() ? ctx.config() : nlohmann::json::object();
  auto app = std::make_shared<App>(App{
      spindle::redis::Client(ctx.redis_config()),
      std::make_shared<spindle::TemplateCache>(cfg.value("templates", "templates"))});
  ctx.get("/plaintext", Plaintext);
  ctx.get("/sleep", Sleep);
  ctx.get("/burn", Burn);
  ctx.get("/redis", [app](spindle::Request& q, spindle::Response& s) { Redis(*app, q, s); });
  ctx.get("/fortunes", [app](spindle::Request& q, spindle::Response& s) { Fortunes(*app, q, s); });
  ctx.get("/wait", [app](spindle::Request& q, spindle::Response& s) { Wait(*app, q, s); });
  ctx.get("/notify", [app](spindle::Request& q, spindle::Response& s) { Notify(*app, q, s); });
}

}  // namespace

SPINDLE_APP(Init)
