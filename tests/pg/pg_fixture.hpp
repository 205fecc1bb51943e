// Helpers for the PostgreSQL client tests: a client config pointing at a
// test PgServer, with short back-off so recovery is quick, a fixture that
// starts the server before the fiber body runs (its blocking start-up is not
// inside the scheduler), and bounded "wait until" polling.
// WaitUntil and FibersAlive are in fiber_wait.hpp.
#pragma once

#include <chrono>
#include <functional>
#include <thread>
#include <memory>

#include <gtest/gtest.h>

#include <spindle/fiber.hpp>
#include <spindle/pg.hpp>
#include <spindle/scheduler.hpp>
#include <spindle/sync.hpp>

#include "fiber_test.hpp"
#include "fiber_wait.hpp"
#include "pg_server.hpp"

namespace spindle::test {

using namespace std::chrono_literals;

inline pg::Config PgConfigFor(const PgServer& server, size_t pool_size = 2) {
  pg::Config c;
  c.conninfo = server.conninfo();
  c.pool_size = pool_size;
  c.connect_timeout = 5000ms;
  c.query_timeout = 10000ms;
  c.pool_wait_timeout = 5000ms;
  c.reconnect_min = 10ms;
  c.reconnect_max = 200ms;
  return c;
}


class PgServerTest : public ::testing::Test {
 protected:
  void SetUp() override { server_ = std::make_unique<PgServer>(); }
  void TearDown() override { server_.reset(); }
  std::unique_ptr<PgServer> server_;
};

}  // namespace spindle::test
