// redis_routes.cpp: the TechEmpower database tests on Redis, below the
// app's mount: /redis/db, /redis/queries, /redis/updates, /redis/fortunes.
//
// Layout (examples/techempower/seed writes it): `world:<id>` for id
// 1..10000, a string holding that row's randomNumber; `fortune`, a hash of
// id -> message. Reads are one GET per row, pipelined (TechEmpower forbids
// folding the rows into one query, as MGET would); the updates write back
// with one MSET (a batch update, which the rules allow).
//
// Thread/fiber contract: MountRedis runs in init and builds the worker's
// Redis client; the handlers run in request fibers of that worker and
// suspend on Redis. A Redis failure escapes: the server answers 503 with
// Retry-After. A row missing or malformed (the database was not seeded) is
// a std::runtime_error: 500, logged.
#include "tfb.hpp"

#include <spindle/redis.hpp>

#include <charconv>
#include <stdexcept>
#include <utility>

namespace techempower {
namespace {

std::string WorldKey(int32_t id) { return "world:" + std::to_string(id); }

int32_t ParseNumber(const spindle::redis::Reply& reply, std::string_view what) {
  if (!reply.is_string()) {
    throw std::runtime_error(std::string(what) +
                             " is missing in Redis (run examples/techempower/seed)");
  }
  const std::string& s = reply.str();
  int32_t n = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
  if (ec != std::errc() || end != s.data() + s.size()) {
    throw std::runtime_error(std::string(what) + " in Redis is not a number: '" + s + "'");
  }
  return n;
}

// One GET per id, in one pipeline (one round trip).
std::vector<World> ReadWorlds(const spindle::redis::Client& redis,
                              const std::vector<int32_t>& ids) {
  spindle::redis::Pipeline p = redis.pipeline();
  for (int32_t id : ids) p.add("GET", WorldKey(id));
  std::vector<spindle::redis::Reply> replies = p.execute();
  std::vector<World> worlds;
  worlds.reserve(ids.size());
  for (size_t i = 0; i < ids.size(); ++i) {
    worlds.push_back({ids[i], ParseNumber(replies.at(i), WorldKey(ids[i]))});
  }
  return worlds;
}

void Db(Shared& s, const spindle::redis::Client& redis, spindle::Request&,
        spindle::Response& res) {
  int32_t id = s.random.Next();
  World w{id, ParseNumber(redis.command("GET", WorldKey(id)), WorldKey(id))};
  res.json(WorldJson(w));
}

void Queries(Shared& s, const spindle::redis::Client& redis, spindle::Request& req,
             spindle::Response& res) {
  res.json(WorldsJson(ReadWorlds(redis, s.random.Ids(QueriesParam(req)))));
}

// Distinct ids: with a repeated id the response would show two new numbers
// for one row, and only one of them can be what the database holds.
void Updates(Shared& s, const spindle::redis::Client& redis, spindle::Request& req,
             spindle::Response& res) {
  std::vector<World> worlds = ReadWorlds(redis, s.random.DistinctIds(QueriesParam(req)));
  std::vector<std::string> argv;
  argv.reserve(1 + 2 * worlds.size());
  argv.emplace_back("MSET");
  for (World& w : worlds) {
    w.random_number = s.random.Next();
    argv.push_back(WorldKey(w.id));
    argv.push_back(std::to_string(w.random_number));
  }
  std::vector<std::string_view> views(argv.begin(), argv.end());
  (void)redis.command_argv(views);
  res.json(WorldsJson(worlds));
}

void Fortunes(Shared& s, const spindle::redis::Client& redis, spindle::Request&,
              spindle::Response& res) {
  std::vector<Fortune> rows;
  for (auto& [field, message] : redis.hgetall("fortune")) {
    int32_t id = 0;
    auto [end, ec] = std::from_chars(field.data(), field.data() + field.size(), id);
    if (ec != std::errc() || end != field.data() + field.size()) {
      throw std::runtime_error("fortune field in Redis is not an id: '" + field + "'");
    }
    rows.push_back({id, std::move(message)});
  }
  if (rows.empty()) {
    throw std::runtime_error("no fortunes in Redis (run examples/techempower/seed)");
  }
  s.fortunes.Send(res, std::move(rows));
}

}  // namespace

void MountRedis(spindle::AppContext& ctx, std::shared_ptr<Shared> shared) {
  spindle::redis::Client redis(ctx.redis_config());
  using Route = void (*)(Shared&, const spindle::redis::Client&, spindle::Request&,
                         spindle::Response&);
  auto add = [&](const std::string& pattern, Route route) {
    ctx.get(pattern, [shared, redis, route](spindle::Request& q, spindle::Response& r) {
      route(*shared, redis, q, r);
    });
  };
  add("/redis/db", Db);
  add("/redis/queries", Queries);
  add("/redis/updates", Updates);
  add("/redis/fortunes", Fortunes);
}

}  // namespace techempower
