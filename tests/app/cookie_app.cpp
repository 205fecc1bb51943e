// cookie_app.cpp: an app used only by tests/app/cookie_daemon_test.cc, so
// cookies and sessions are exercised through the real server: cookie() on a
// real Request, set_cookie()/delete_cookie() on a real Response, and a
// session store on the app's own Redis settings (config.redis) and
// `config.session` subtree.
// Fiber contract: handlers run in their request's fiber; the session routes
// suspend in Redis.
#include <spindle/app.hpp>
#include <spindle/cookie.hpp>
#include <spindle/redis.hpp>
#include <spindle/session.hpp>

#include <chrono>
#include <memory>
#include <string>

namespace {

using namespace std::chrono_literals;

void AddCookieRoutes(spindle::AppContext& app) {
  // GET /cookie/echo?name=N: the value of cookie N (404 without one).
  app.get("/cookie/echo", [](spindle::Request& req, spindle::Response& res) {
    const std::string name = req.query("name").value_or("");
    const auto v = spindle::cookie(req, name);
    res.send(v ? 200 : 404, "text/plain", v ? std::string(*v) : "no cookie");
  });
  // GET /cookie/set: three Set-Cookie headers, kept in order.
  app.get("/cookie/set", [](spindle::Request&, spindle::Response& res) {
    spindle::set_cookie(res, {.name = "theme", .value = "dark", .path = "/", .max_age = 3600s,
                              .same_site = spindle::SameSite::kLax});
    spindle::set_cookie(res, {.name = "lang", .value = "en"});
    spindle::delete_cookie(res, "old");
    res.send(200, "text/plain", "ok");
  });
  // GET /cookie/bad: an invalid value escapes as std::invalid_argument (500).
  app.get("/cookie/bad", [](spindle::Request&, spindle::Response& res) {
    spindle::set_cookie(res, {.name = "x", .value = "a;b"});
    res.send(200, "text/plain", "unreachable");
  });
}

void AddSessionRoutes(spindle::AppContext& app) {
  auto store = std::make_shared<spindle::SessionStore>(
      spindle::redis::Client(app.redis_config()),
      spindle::SessionConfig::from_json(app.config()["session"], app.name() + ".session"));
  // GET /session/visit: counts visits; the body is "visits=N user=U".
  app.get("/session/visit", [store](spindle::Request& req, spindle::Response& res) {
    spindle::Session s = store->load(req);
    const int visits = s.data().value("visits", 0) + 1;
    s.data()["visits"] = visits;
    s.save(res);
    res.send(200, "text/plain",
             "visits=" + std::to_string(visits) + " user=" + s.data().value("user", ""));
  });
  // POST /session/login: a new id for the same data, now with a user.
  app.post("/session/login", [store](spindle::Request& req, spindle::Response& res) {
    spindle::Session s = store->load(req);
    s.rotate();
    s.data()["user"] = "ann";
    s.save(res);
    res.send(200, "text/plain", "welcome");
  });
  // POST /session/logout: deletes the session and expires the cookie.
  app.post("/session/logout", [store](spindle::Request& req, spindle::Response& res) {
    spindle::Session s = store->load(req);
    s.destroy(res);
    res.send(200, "text/plain", "bye");
  });
}

void Init(spindle::AppContext& app) {
  AddCookieRoutes(app);
  AddSessionRoutes(app);
}

}  // namespace

SPINDLE_APP(Init)
