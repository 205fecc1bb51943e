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
// That order alone does not prevent deadlocks: the client runs the
// statements between two Syncs as one implicit transaction, so a batch with
// two requests' updates would hold the first one's row locks while the
// second waits, and two such batches (two connections, or two workers) can
// wait for each other. The update therefore goes through Client::alone():
// between Syncs of its own, it holds only its own locks, taken in id order.
// Reads stay batched. An update that still meets 40P01 (the join's plan may
// visit rows in another order than the ids; or another client of the
// database) is run again, up to kUpdateAttempts times.
//
// Thread/fiber contract: MountPostgres runs in init and builds the worker's
// client (no I/O until the first statement); the handlers run in request
// fibers of that worker and suspend on PostgreSQL. pg::Unavailable and
// pg::Timeout escape: the server answers 503 with Retry-After; an unseeded
// database (no table: pg::QueryError; a missing row: pg::TypeError) is a
// 500, logged.
#include "tfb.hpp"

#include <spindle/pg.hpp>

#include <algorithm>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

namespace techempower {
namespace {

constexpr const char* kSelectWorld = "tfb_world";
constexpr const char* kSelectFortunes = "tfb_fortunes";
constexpr const char* kUpdateWorlds = "tfb_update";
constexpr int kUpdateAttempts = 5;
constexpr std::string_view kDeadlockDetected = "40P01";

// The worker's client.
struct Pg {
  explicit Pg(spindle::pg::Config config) : client(std::move(config)) {}
  spindle::pg::Client client;
};

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

// Calls are capped by the request's deadline also in the fibers a handler
// spawns (only the handler's own fiber inherits it).
spindle::pg::Client Capped(const Pg& p, const spindle::Request& req) {
  return p.client.until(req.deadline());
}

void Db(Shared& s, Pg& p, spindle::Request& req, spindle::Response& res) {
  res.json(WorldJson(ReadWorld(Capped(p, req), s.random.Next())));
}

void Queries(Shared& s, Pg& p, spindle::Request& req, spindle::Response& res) {
  res.json(WorldsJson(ReadWorlds(Capped(p, req), s.random.Ids(QueriesParam(req)))));
}

// Runs the update statement alone (bounded by query_timeout and the
// request's deadline), again on 40P01.
void WriteWorlds(Shared& s, Pg& p, const spindle::Request& req, const std::vector<World>& sorted) {
  const spindle::pg::Client pg = Capped(p, req).alone();
  const std::string ids = IntArray(sorted, true);
  const std::string numbers = IntArray(sorted, false);
  for (int attempt = 1;; ++attempt) {
    try {
      (void)pg.execute(kUpdateWorlds, ids, numbers);
      return;
    } catch (const spindle::pg::QueryError& e) {
      // A deadlock rolled the statement back: running it again is safe.
      if (e.sqlstate() != kDeadlockDetected || attempt == kUpdateAttempts) throw;
      s.log.info("update of '", sorted.size(), "' rows deadlocked, attempt '", attempt,
                 "' of '", kUpdateAttempts, "'");
    }
  }
}

// Distinct ids, as on Redis: a repeated id would get two new numbers in the
// response and only one in the table.
void Updates(Shared& s, Pg& p, spindle::Request& req, spindle::Response& res) {
  std::vector<World> worlds =
      ReadWorlds(Capped(p, req), s.random.DistinctIds(QueriesParam(req)));
  for (World& w : worlds) w.random_number = s.random.Next();
  std::vector<World> sorted = worlds;
  std::sort(sorted.begin(), sorted.end(),
            [](const World& a, const World& b) { return a.id < b.id; });
  WriteWorlds(s, p, req, sorted);
  res.json(WorldsJson(worlds));
}

void Fortunes(Shared& s, Pg& p, spindle::Request& req, spindle::Response& res) {
  std::vector<Fortune> rows;
  for (const spindle::pg::Row& row : Capped(p, req).execute(kSelectFortunes)) {
    rows.push_back({row.get<int32_t>(0), row.get<std::string>(1)});
  }
  s.fortunes.Send(res, std::move(rows));
}

}  // namespace

void MountPostgres(spindle::AppContext& ctx, std::shared_ptr<Shared> shared) {
  auto pg = std::make_shared<Pg>(ctx.postgres_config());
  pg->client.prepare(kSelectWorld, "SELECT id, randomnumber FROM world WHERE id = $1");
  pg->client.prepare(kSelectFortunes, "SELECT id, message FROM fortune");
  pg->client.prepare(kUpdateWorlds,
                     "UPDATE world SET randomnumber = v.r "
                     "FROM (SELECT unnest($1::int[]) AS id, unnest($2::int[]) AS r) AS v "
                     "WHERE world.id = v.id");
  using Route = void (*)(Shared&, Pg&, spindle::Request&, spindle::Response&);
  auto add = [&](const std::string& pattern, Route route) {
    ctx.get(pattern, [shared, pg, route](spindle::Request& q, spindle::Response& r) {
      route(*shared, *pg, q, r);
    });
  };
  add("/pg/db", Db);
  add("/pg/queries", Queries);
  add("/pg/updates", Updates);
  add("/pg/fortunes", Fortunes);
}

}  // namespace techempower
