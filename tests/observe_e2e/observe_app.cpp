// observe_app.cpp: the app behind the observability end-to-end tests: plain
// routes to count (/hello, /items/{id}, POST /items), a handler that sleeps
// (to be seen in flight in /status) and one that busy-loops without yielding
// (for the watchdog). Not an example: /busy is exactly what apps must not do.
#include <spindle/app.hpp>

#include <chrono>
#include <string>

namespace {

void Init(spindle::AppContext& app) {
  app.get("/hello", [](spindle::Request&, spindle::Response& res) {
    res.send(200, "text/plain", "hello\n");
  });
  app.get("/items/{id}", [](spindle::Request& req, spindle::Response& res) {
    res.send(200, "text/plain", "item " + std::string(*req.path_param("id")) + "\n");
  });
  app.post("/items", [](spindle::Request& req, spindle::Response& res) {
    res.send(201, "text/plain", "created " + req.read_all(1 << 20) + "\n");
  });
  app.get("/sleep", [](spindle::Request& req, spindle::Response& res) {
    auto ms = std::chrono::milliseconds(req.query_int("ms", 0));
    if (spindle::this_fiber::sleep_for(ms) == spindle::WaitStatus::kCancelled) return;
    res.send(200, "text/plain", "slept\n");
  });
  // Runs `ms` milliseconds without ever suspending: the watchdog reports it.
  app.get("/busy", [](spindle::Request& req, spindle::Response& res) {
    auto until = std::chrono::steady_clock::now() +
                 std::chrono::milliseconds(req.query_int("ms", 200));
    volatile uint64_t spins = 0;
    while (std::chrono::steady_clock::now() < until) spins = spins + 1;
    res.send(200, "text/plain", "busy\n");
  });
}

}  // namespace

SPINDLE_APP(Init)
