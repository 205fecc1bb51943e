// sdk_app.cpp: the SDK example app, built only against the installed
// libspindle-dev (find_package(spindle)). Routes, below its mount:
//   GET /greet/{name}   "<greeting>, <name>!" with `greeting` from its config
//   GET /wait?ms=N      parks its fiber N ms (other requests keep running)
//   GET /info           JSON: the app's name, mount and config
#include <spindle/app.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <string>

namespace {

void Init(spindle::AppContext& app) {
  const nlohmann::json& cfg = app.config();  // null when the YAML has no config:
  std::string greeting = cfg.is_object() ? cfg.value("greeting", "Hello") : "Hello";
  nlohmann::json info = {{"name", app.name()}, {"mount", app.mount()}, {"config", app.config()}};

  app.get("/greet/{name}", [greeting](spindle::Request& req, spindle::Response& res) {
    std::string name(req.path_param("name").value_or("world"));
    res.send(200, "text/plain", greeting + ", " + name + "!\n");
  });
  app.get("/wait", [](spindle::Request& req, spindle::Response& res) {
    long long ms = std::clamp<long long>(req.query_int("ms", 10), 0, 60000);
    if (spindle::this_fiber::sleep_for(std::chrono::milliseconds(ms)) ==
        spindle::WaitStatus::kCancelled) {
      return;  // the client went away
    }
    res.send(200, "text/plain", "waited " + std::to_string(ms) + " ms\n");
  });
  app.get("/info", [info](spindle::Request&, spindle::Response& res) {
    res.send(200, "application/json", info.dump() + "\n");
  });
}

}  // namespace

SPINDLE_APP(Init)
