// ExamplesStack: the real stack the example apps run on, for one test: a
// redis-server on a unix socket in a temp dir, spindled (two workers, debug
// log) serving guestbook at /guestbook (with sessions), chat at /chat (20 s
// polls) and chat again at /chatshort (300 ms polls, 200 ms event-stream
// heartbeats), and nginx with the module in front.
// Plus a tiny synchronous hiredis helper to look at Redis from the test.
//
// Thread contract: blocking helpers for test threads. Every wait is bounded.
#pragma once

#include <memory>
#include <string>

#include "daemon_harness.hpp"
#include "http_client.hpp"
#include "nginx_harness.hpp"
#include "redis_server.hpp"

namespace spindle::test {

struct ExamplesStack {
  ExamplesStack();
  ~ExamplesStack();
  uint16_t port() const { return nginx->port(); }

  std::unique_ptr<RedisServer> redis;
  std::unique_ptr<DaemonHarness> daemon;
  std::unique_ptr<NginxHarness> nginx;
};

// Runs one command on the test's redis-server (synchronous hiredis) and
// returns an integer reply, or the integer at `index` of an array reply.
// Throws std::runtime_error on failure.
long long RedisInteger(const RedisServer& redis, const std::string& command, int index = -1);

// A form-encoded POST to nginx (new connection).
HttpResponse PostForm(uint16_t port, const std::string& target, const std::string& body);
// A JSON POST to nginx (new connection).
HttpResponse PostJson(uint16_t port, const std::string& target, const std::string& body);

}  // namespace spindle::test
