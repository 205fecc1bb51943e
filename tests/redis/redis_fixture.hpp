// Helpers for the Redis client tests: a client config pointing at a test
// RedisServer, with short back-off so recovery is quick, and bounded
// "wait until" polling for conditions that settle asynchronously.
// WaitUntil and FibersAlive are in fiber_wait.hpp.
#pragma once

#include <chrono>
#include <functional>
#include <memory>

#include <gtest/gtest.h>

#include <spindle/fiber.hpp>
#include <spindle/redis.hpp>
#include <spindle/scheduler.hpp>

#include "fiber_test.hpp"
#include "fiber_wait.hpp"
#include "redis_server.hpp"

namespace spindle::test {

using namespace std::chrono_literals;

inline redis::Config ConfigFor(const RedisServer& server) {
  redis::Config c;
  c.address = server.address();
  c.connect_timeout = 3000ms;
  c.command_timeout = 5000ms;
  c.pool_wait_timeout = 3000ms;
  c.reconnect_min = 10ms;
  c.reconnect_max = 200ms;
  return c;
}


// Starts a default redis-server before the fiber body runs (so its blocking
// start-up wait is not inside the scheduler) and removes it afterwards.
class RedisServerTest : public ::testing::Test {
 protected:
  void SetUp() override { server_ = std::make_unique<RedisServer>(); }
  void TearDown() override { server_.reset(); }
  std::unique_ptr<RedisServer> server_;
};

// connected_clients from INFO, asked over the client itself.
inline long long ConnectedClients(const redis::Client& c) {
  const std::string info = c.command("INFO", "clients").str();
  const std::string key = "connected_clients:";
  auto pos = info.find(key);
  if (pos == std::string::npos) return -1;
  return std::stoll(info.substr(pos + key.size()));
}

}  // namespace spindle::test
