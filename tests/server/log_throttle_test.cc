// LogThrottle: one line per key per interval, the held-back count reported
// on the next line, keys independent.
#include "server/log_throttle.hpp"

#include <gtest/gtest.h>

namespace spindle::server {
namespace {

using namespace std::chrono_literals;
using Time = std::chrono::steady_clock::time_point;

TEST(LogThrottle, OneLinePerKeyPerIntervalWithTheHeldBackCount) {
  LogThrottle t(1s);
  const Time t0{};
  uint64_t held = 99;
  EXPECT_TRUE(t.Allow("/a", t0, &held));
  EXPECT_EQ(held, 0u);
  for (int i = 1; i <= 500; ++i) EXPECT_FALSE(t.Allow("/a", t0 + i * 1ms, &held));
  EXPECT_TRUE(t.Allow("/b", t0 + 10ms, &held));  // another route: its own line
  EXPECT_EQ(held, 0u);
  EXPECT_FALSE(t.Allow("/a", t0 + 999ms, &held));
  EXPECT_TRUE(t.Allow("/a", t0 + 1000ms, &held));
  EXPECT_EQ(held, 501u);
  EXPECT_TRUE(t.Allow("/a", t0 + 5s, &held));  // quiet since: nothing held
  EXPECT_EQ(held, 0u);
}

}  // namespace
}  // namespace spindle::server
