// pg_routes.cpp: the TechEmpower database tests on PostgreSQL, below the
// app's mount: /pg/db, /pg/queries, /pg/updates, /pg/fortunes.
//
// Tables (TechEmpower's schema; examples/techempower/seed creates them):
// world(id integer primary key, randomnumber integer), fortune(id integer
// primary key, message varchar(2048)). Every statement is prepared. The N
// selects of /pg/queries and /pg/updates run in N fibers at once, so the
// client pipelines them (one Sync, one round trip for all of them when the
// connection is idle); the updates go back in one statement that unnests two
// int arrays, ids sorted so that concurrent updates lock rows in one order.
//
// Thread/fiber contract: MountPostgres runs in init and builds the worker's
// client (no I/O until the first statement); the handlers run in request
// fibers of that worker and suspend on PostgreSQL. pg::Unavailable and
// pg::Timeout escape: the server answers 503 with Retry-After; a missing row
// (an unseeded database) is pg::TypeError: 500, logged.
#include "tfb.hpp"

#include <spindle/pg.hpp>

#include <algorithm>
#include <utility>

namespace techempower {
namespace {

constexpr const char* kSelectWorld = "tfb_world";
constexpr const char* kSelectFortunes = "tfb_fortunes";
constexpr const char* kUpdateWorlds = "tfb_update";

World ReadWorld(const spindle::pg::Client& pg, int32_t id) {
  auto [got_id, number] = pg.execute(kSelectWorld, id)[0].as<int32_t, int32_t>();
  return {got_id, number};
}

// One SELECT per id, all in flight at once.
std::vector<World> ReadWorlds(const spindle::pg::Client& pg, const std::vector<int32_t>& ids) {
  std::vector<World> worlds(ids.size());
  ForEachConcurrently(ids.size(), [&](size_t i) { worlds[i] = ReadWorld(pg, ids[i]); });
  return worlds;
}

// "{1,2,3}": an int[] parameter in PostgreSQL's text form.
std::string IntArray(const std::vector<World>& worlds, bool ids) {
  std::string out = "{";
  for (const World& w : worlds) {
    if (out.size() > 1) out += ',';
    out += std::to_string(ids ? w.id : w.random_number);
  }
  out += '}';
  return out;
}

void Db(Shared& s, const spindle::pg::Client& pg, spindle::Request&, spindle::Response& res) {
  res.json(WorldJson(ReadWorld(pg, s.random.Next())));
}

void Queries(Shared& s, const spindle::pg::Client& pg, spindle::Request& req,
             spindle::Response& res) {
  res.json(WorldsJson(ReadWorlds(pg, s.random.Ids(QueriesParam(req)))));
}

// Distinct ids, as on Redis: a repeated id would get two new numbers in the
// response and only one in the table.
void Updates(Shared& s, const spindle::pg::Client& pg, spindle::Request& req,
             spindle::Response& res) {
  std::vector<World> worlds = ReadWorlds(pg, s.random.DistinctIds(QueriesParam(req)));
  for (World& w : worlds) w.random_number = s.random.Next();
  std::vector<World> sorted = worlds;
  std::sort(sorted.begin(), sorted.end(),
            [](const World& a, const World& b) { return a.id < b.id; });
  (void)pg.execute(kUpdateWorlds, IntArray(sorted, true), IntArray(sorted, false));
  res.json(WorldsJson(worlds));
}

void Fortunes(Shared& s, const spindle::pg::Client& pg, spindle::Request&,
              spindle::Response& res) {
  std::vector<Fortune> rows;
  for (const spindle::pg::Row& row : pg.execute(kSelectFortunes)) {
    rows.push_back({row.get<int32_t>(0), row.get<std::string>(1)});
  }
  s.fortunes.Send(res, std::move(rows));
}

}  // namespace

void MountPostgres(spindle::AppContext& ctx, std::shared_ptr<Shared> shared) {
  spindle::pg::Client pg(ctx.postgres_config());
  pg.prepare(kSelectWorld, "SELECT id, randomnumber FROM world WHERE id = $1");
  pg.prepare(kSelectFortunes, "SELECT id, message FROM fortune");
  pg.prepare(kUpdateWorlds,
             "UPDATE world SET randomnumber = v.r "
             "FROM (SELECT unnest($1::int[]) AS id, unnest($2::int[]) AS r) AS v "
             "WHERE world.id = v.id");
  using Route = void (*)(Shared&, const spindle::pg::Client&, spindle::Request&,
                         spindle::Response&);
  auto add = [&](const std::string& pattern, Route route) {
    // Calls are capped by the request's deadline also in the fibers the
    // handler spawns (only the handler's own fiber inherits it).
    ctx.get(pattern, [shared, pg, route](spindle::Request& q, spindle::Response& r) {
      route(*shared, pg.until(q.deadline()), q, r);
    });
  };
  add("/pg/db", Db);
  add("/pg/queries", Queries);
  add("/pg/updates", Updates);
  add("/pg/fortunes", Fortunes);
}

}  // namespace techempower
