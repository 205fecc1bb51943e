// ExamplesStack: the real stack the example apps run on, for one test: a
// redis-server on a unix socket in a temp dir, spindled (two workers, debug
// log) serving guestbook at /guestbook (with sessions), chat at /chat (20 s
// polls) and chat again at /chatshort (300 ms polls, 200 ms event-stream
// heartbeats), and nginx with the module in front.
// With options: several such daemons sharing the one redis-server, on unix
// sockets or loopback TCP ports, in one nginx upstream with keepalive; then
// /via/I/... reaches daemon I alone (the rest of the URI as the app's).
// Plus a tiny synchronous hiredis helper to look at Redis from the test.
//
// Thread contract: blocking helpers for test threads. Every wait is bounded.
#pragma once

#include <functional>
#include <future>
#include <memory>
#include <string>
#include <vector>

#include "daemon_harness.hpp"
#include "http_client.hpp"
#include "nginx_harness.hpp"
#include "redis_server.hpp"

struct redisContext;

namespace spindle::test {

struct ExamplesStackOptions {
  int daemons = 1;
  bool tcp = false;  // nginx reaches the daemons over 127.0.0.1 TCP ports
};

struct ExamplesStack {
  explicit ExamplesStack(ExamplesStackOptions options = {});
  ~ExamplesStack();
  uint16_t port() const { return nginx->port(); }

  std::unique_ptr<RedisServer> redis;
  std::vector<std::unique_ptr<DaemonHarness>> daemons;
  DaemonHarness* daemon = nullptr;  // daemons[0]
  std::unique_ptr<NginxHarness> nginx;
};

// A synchronous hiredis connection to the test's redis-server, with
// `timeout_s` for the connect and every command (redisFree() it). Throws
// std::runtime_error when it cannot connect.
redisContext* ConnectRedis(const RedisServer& redis, int timeout_s);

// Runs one command on the test's redis-server (synchronous hiredis) and
// returns an integer reply, or the integer at `index` of an array reply.
// Throws std::runtime_error on failure.
long long RedisInteger(const RedisServer& redis, const std::string& command, int index = -1);

// How often `what` occurs in `s`.
size_t Count(const std::string& s, const std::string& what);

// The chat's debug log line of a long poll parked in `room`.
std::string Waiting(const std::string& room);

// Opens an event stream (GET `target` through nginx, on a thread) and
// collects its body until `done(body)` or 15 s; "bad head: ..." when the
// answer is not text/event-stream.
std::future<std::string> Listen(uint16_t port, const std::string& target,
                                std::function<bool(const std::string&)> done,
                                Headers headers = {});

// A form-encoded POST to nginx (new connection).
HttpResponse PostForm(uint16_t port, const std::string& target, const std::string& body);
// A JSON POST to nginx (new connection).
HttpResponse PostJson(uint16_t port, const std::string& target, const std::string& body);

}  // namespace spindle::test
