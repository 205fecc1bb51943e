// tfb.hpp: what the TechEmpower example's routes share: the World and
// Fortune rows, the `queries` parameter with TechEmpower's clamping, the
// worker's random numbers, the JSON of worlds, the fortunes page (a Mustache
// template), running a body in many fibers at once, and the two database
// mounts (redis_routes.cpp, pg_routes.cpp).
//
// Thread/fiber contract: a Shared belongs to one worker (init builds one per
// worker) and is used only by that worker's fibers, which never run in
// parallel, so its random engine needs no lock. ForEachConcurrently and the
// handlers the Mount* calls register may suspend; the rest never suspends.
#pragma once

#include <spindle/app.hpp>
#include <spindle/mustache.hpp>

#include <nlohmann/json.hpp>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

namespace techempower {

inline constexpr int32_t kWorldRows = 10000;  // World ids 1..10000, randomNumber 1..10000
inline constexpr int kMaxQueries = 500;
inline constexpr std::string_view kExtraFortune = "Additional fortune added at request time.";

struct World {
  int32_t id;
  int32_t random_number;
};

struct Fortune {
  int32_t id;
  std::string message;
};

// The `queries` parameter as TechEmpower's rules read it: missing, not an
// integer (anything but an optional '-' and digits) or below 1 gives 1; above
// 500 (an out-of-range number of digits included) gives 500.
int ClampQueries(std::optional<std::string_view> raw);
inline int QueriesParam(const spindle::Request& req) {
  std::optional<std::string> raw = req.query("queries");
  return raw ? ClampQueries(*raw) : ClampQueries(std::nullopt);
}

// Uniform numbers in 1..10000 from a per-worker engine seeded by
// std::random_device.
class Random {
 public:
  Random();
  int32_t Next() { return dist_(engine_); }
  std::vector<int32_t> Ids(int n);          // n ids, repeats allowed
  std::vector<int32_t> DistinctIds(int n);  // n different ids (n <= 10000)

 private:
  std::mt19937 engine_;
  std::uniform_int_distribution<int32_t> dist_{1, kWorldRows};
};

// {"id":3217,"randomNumber":2149} and arrays of them.
nlohmann::json WorldJson(const World& w);
nlohmann::json WorldsJson(const std::vector<World>& worlds);

// The fortunes page: a Mustache template (templates/fortunes.mustache, its
// final newline not part of the page) compiled once per worker.
class FortunesPage {
 public:
  // Throws spindle::TemplateError when the file is missing or bad.
  explicit FortunesPage(const std::filesystem::path& file);
  // Adds the request-time fortune (id 0), sorts by message (byte order, so
  // UTF-8 sorts by code point), renders: every message HTML-escaped.
  std::string Render(std::vector<Fortune> rows) const;
  // Render() sent as text/html; charset=utf-8 with a Content-Length.
  void Send(spindle::Response& res, std::vector<Fortune> rows) const;

 private:
  spindle::Template template_;
};

struct Shared {
  Random random;
  FortunesPage fortunes;
  spindle::Logger log;
};

// Runs body(0) .. body(n - 1) at once: body(0) in the calling fiber, the
// others in fibers of their own, so statements they send to PostgreSQL go
// out in one pipeline. Returns when all have ended and rethrows the first
// exception (lowest index). A cancelled caller cancels the others, waits for
// them and rethrows its own Cancelled. May suspend.
void ForEachConcurrently(size_t n, const std::function<void(size_t)>& body);

// Register the /redis/* and /pg/* routes (db, queries, updates, fortunes).
void MountRedis(spindle::AppContext& ctx, std::shared_ptr<Shared> shared);
void MountPostgres(spindle::AppContext& ctx, std::shared_ptr<Shared> shared);

}  // namespace techempower
