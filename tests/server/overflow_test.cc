// A fiber that overflows its stack: the worker dies (the guard page below
// the stack faults), but not silently: its last line names the fiber (the
// route) and the stack size, and the master respawns the worker, which
// serves the next request.
#include "daemon_harness.hpp"
#include "frame_client.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <thread>

namespace spindle::test {
namespace {

using namespace std::chrono_literals;

TEST(StackOverflow, NamesTheRouteAndTheWorkerIsRespawned) {
  DaemonOptions o;
  o.yaml = "workers: 1\nstack_size: 32k\napps:\n"
           "  - name: hello\n    path: ${HELLO_APP}\n    mount: /\n"
           "  - name: test\n    path: " SPINDLE_TEST_APP "\n    mount: /t\n";
  DaemonHarness d(o);
  {
    FrameClient c(d.socket_path());
    c.SendHead("GET", "/t/overflow");
    c.SendEnd();
    EXPECT_TRUE(c.WaitClosed(10s));
  }
  std::string log;
  for (int i = 0; i < 100; ++i) {
    log = d.Log();
    if (log.find("stack overflow in fiber") != std::string::npos) break;
    std::this_thread::sleep_for(50ms);
  }
  // (stack_size is 32k here; sanitizer builds give fibers bigger stacks.)
  EXPECT_NE(log.find("spindled: fatal: stack overflow in fiber 'GET /t/overflow' (stack_size "),
            std::string::npos)
      << log;
  // The respawned worker serves.
  std::string body;
  for (int i = 0; i < 100 && body != "Hello, World!"; ++i) {
    try {
      FrameClient c(d.socket_path(), 2s);
      body = c.Request("GET", "/hello").body;
    } catch (const std::exception&) {
      std::this_thread::sleep_for(50ms);
    }
  }
  EXPECT_EQ(body, "Hello, World!") << d.Log();
  EXPECT_TRUE(d.running());
}

}  // namespace
}  // namespace spindle::test
