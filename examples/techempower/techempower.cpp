// techempower.cpp: the TechEmpower Framework Benchmarks' six test types as
// a Spindle app. Routes (below the mount):
//   GET /plaintext         Hello, World! (text/plain)
//   GET /json              {"message":"Hello, World!"} (application/json)
//   GET /redis/db          one random World row: {"id":N,"randomNumber":M}
//   GET /redis/queries     ?queries=N rows (1..500, clamped), one query each
//   GET /redis/updates     as /queries, each row given a new randomNumber
//                          and written back; the new rows answered
//   GET /redis/fortunes    the Fortune rows plus one added at request time,
//                          sorted by message, as an HTML table (Mustache)
//   GET /pg/db, /pg/queries, /pg/updates, /pg/fortunes: the same on
//                          PostgreSQL
// nginx adds the Server and Date headers; every response has a
// Content-Length. Storage and the statements are described in
// redis_routes.cpp and pg_routes.cpp; examples/techempower/seed fills both.
// Config (the app's `config:` subtree): redis, postgres (over the top-level
// sections: AppContext::redis_config(), postgres_config()); a database whose
// section is absent in both places is not mounted (its routes answer 404)
// and init logs so; templates (the directory of fortunes.mustache).
//
// Thread/fiber contract: init runs once per worker in a fiber and builds that
// worker's clients, template and random engine (tfb.hpp's Shared); handlers
// run in request fibers of the same worker.
#include "tfb.hpp"

#include <memory>
#include <stdexcept>
#include <string>

namespace techempower {
namespace {

constexpr const char* kDefaultTemplates = "/usr/share/spindle/examples/techempower/templates";

void Plaintext(spindle::Request&, spindle::Response& res) {
  res.send(200, "text/plain", "Hello, World!");
}

void Json(spindle::Request&, spindle::Response& res) {
  res.json({{"message", "Hello, World!"}});  // a new object per request, as the rules ask
}

void Init(spindle::AppContext& ctx) {
  const nlohmann::json& cfg = ctx.config().is_object() ? ctx.config() : nlohmann::json::object();
  for (const auto& [key, value] : cfg.items()) {
    if (key != "templates" && key != "redis" && key != "postgres") {
      throw std::invalid_argument(ctx.name() + "." + key + ": unknown key");
    }
  }
  std::filesystem::path dir = cfg.value("templates", std::string(kDefaultTemplates));
  auto shared = std::make_shared<Shared>(
      Shared{Random(), FortunesPage(dir / "fortunes.mustache"), ctx.logger()});

  ctx.get("/plaintext", Plaintext);
  ctx.get("/json", Json);
  if (ctx.redis_configured()) {
    MountRedis(ctx, shared);
  } else {
    shared->log.info("no redis section: routes '", ctx.mount(), "/redis/*' not mounted");
  }
  if (ctx.postgres_configured()) {
    MountPostgres(ctx, shared);
  } else {
    shared->log.info("no postgres section: routes '", ctx.mount(), "/pg/*' not mounted");
  }
}

}  // namespace
}  // namespace techempower

SPINDLE_APP(techempower::Init)
