// lifecycle_app.cpp: the app the lifecycle tests run. It shows which
// configuration a worker runs (its `config:` subtree and the daemon's
// `redis:` and `postgres:` sections) and which process answers, so a test can tell the
// generations of a reload apart; /sleep holds a request in flight.
#include <spindle/app.hpp>

#include <nlohmann/json.hpp>

#include <unistd.h>

#include <stdexcept>
#include <string>

namespace {

void Init(spindle::AppContext& app) {
  // Lets a test make a reload fail in the new workers, after validation.
  if (app.config().value("fail_init", false)) throw std::runtime_error("fail_init is set");
  std::string tag = app.config().value("tag", std::string("none"));
  std::string redis_address = app.redis_configured() ? app.redis_config().address : "unset";
  size_t pool_size = app.redis_configured() ? app.redis_config().pool_size : 0;
  std::string postgres = "unset";
  if (app.postgres_configured()) {
    const spindle::pg::Config& pg = app.postgres_config();
    postgres = pg.host + " " + pg.dbname + " " + std::to_string(pg.pool_size);
  }
  app.get("/tag", [tag](spindle::Request&, spindle::Response& res) {
    res.send(200, "text/plain", tag);
  });
  app.get("/pid", [](spindle::Request&, spindle::Response& res) {
    res.send(200, "text/plain", std::to_string(getpid()));
  });
  app.get("/redis", [redis_address, pool_size](spindle::Request&, spindle::Response& res) {
    res.send(200, "text/plain", redis_address + " " + std::to_string(pool_size));
  });
  app.get("/postgres", [postgres](spindle::Request&, spindle::Response& res) {
    res.send(200, "text/plain", postgres);
  });
  app.get("/sleep", [tag](spindle::Request& req, spindle::Response& res) {
    long long ms = req.query_int("ms", 0);
    if (spindle::this_fiber::sleep_for(std::chrono::milliseconds(ms)) ==
        spindle::WaitStatus::kCancelled) {
      return;
    }
    res.send(200, "text/plain", tag);
  });
}

}  // namespace

SPINDLE_APP(Init)
