// A spindled app for the end-to-end template test: serves the templates in
// the directory named by its config (`config: {templates: DIR}`) through
// render_to(Response&), i.e. the real streaming path into nginx.
//   GET /page?rows=N       the "page" template over N generated rows
//   GET /error?rows=N      "{{#rows}}...{{/rows}}{{>missing}}" with strict
//                          partials: fails after N rows have rendered
//   GET /reload            TemplateCache::reload() (what SIGHUP will do)
//   GET /recurse           "loop" = "x{{>loop}}" with no max_depth: only the
//                          renderer's stack check ends it (a 500)
// Thread/fiber contract: handlers run in request fibers of one worker; the
// cache is per worker process (built in init, which runs in each worker).
#include <cstdint>
#include <memory>
#include <string>

#include <spindle/app.hpp>
#include <spindle/mustache_cache.hpp>
#include <spindle/mustache_response.hpp>
#include <spindle/mustache_set.hpp>

namespace {

nlohmann::json Rows(long long n) {
  nlohmann::json rows = nlohmann::json::array();
  for (long long i = 0; i < n; ++i) {
    rows.push_back({{"id", i}, {"name", "user <" + std::to_string(i) + ">"},
                    {"text", "the quick brown fox jumps over the lazy dog & co"}});
  }
  return rows;
}

void Init(spindle::AppContext& app) {
  auto cache =
      std::make_shared<spindle::TemplateCache>(app.config().at("templates").get<std::string>());
  app.get("/page", [cache](spindle::Request& req, spindle::Response& res) {
    nlohmann::json data = {{"title", "Rows & more"}, {"rows", Rows(req.query_int("rows", 10))}};
    spindle::render_to(res, *cache, "page", data);
  });
  app.get("/error", [cache](spindle::Request& req, spindle::Response& res) {
    nlohmann::json data = {{"rows", Rows(req.query_int("rows", 10))}};
    spindle::StreamOptions opts;
    opts.render.strict_partials = true;
    spindle::render_to(res, *cache, "broken", data, opts);
  });
  auto loop = std::make_shared<spindle::TemplateSet>();
  loop->add_source("loop", "x{{>loop}}");
  app.get("/recurse", [loop](spindle::Request&, spindle::Response& res) {
    spindle::StreamOptions opts;
    opts.render.max_depth = SIZE_MAX;
    spindle::render_to(res, loop->get("loop"), nlohmann::json::object(), loop.get(), opts);
  });
  app.get("/reload", [cache](spindle::Request&, spindle::Response& res) {
    auto r = cache->reload();
    res.send(200, "text/plain",
             "changed " + std::to_string(r.changed) + " added " + std::to_string(r.added));
  });
}

}  // namespace

SPINDLE_APP(Init)
