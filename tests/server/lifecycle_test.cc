// Process lifecycle of the real daemon: several workers, a worker that dies
// is respawned, SIGTERM drains in-flight requests, --check-config and
// --version.
#include "daemon_harness.hpp"
#include "frame_client.hpp"

#include <gtest/gtest.h>

#include <signal.h>
#include <sys/wait.h>

#include <future>
#include <thread>

namespace spindle::test {
namespace {

using namespace std::chrono_literals;

const char* kHelloApps = R"(apps:
  - name: hello
    path: ${HELLO_APP}
    mount: /
)";

TEST(Lifecycle, DeadWorkerIsRespawned) {
  DaemonOptions o;
  o.yaml = std::string("workers: 2\n") + kHelloApps;
  o.expect_workers = 2;
  DaemonHarness d(o);
  // "worker ready" (the harness's start condition) is logged by the child and
  // may come before the master's "master started worker" line: wait for both.
  ASSERT_TRUE(d.WaitForLog("master started worker", 10s, 2)) << d.Log();
  auto pids = d.WorkerPids();
  ASSERT_EQ(pids.size(), 2u);
  ASSERT_EQ(kill(pids[0], SIGKILL), 0);
  ASSERT_TRUE(d.WaitForLog("killed by signal", 5s)) << d.Log();
  ASSERT_TRUE(d.WaitForLog("worker ready", 10s, 3)) << d.Log();
  ASSERT_TRUE(d.WaitForLog("master started worker", 10s, 3)) << d.Log();
  EXPECT_EQ(d.WorkerPids().size(), 3u);
  for (int i = 0; i < 20; ++i) {
    FrameClient c(d.socket_path());
    EXPECT_EQ(c.Request("GET", "/hello").status, 200);
  }
}

TEST(Lifecycle, SigtermLetsInFlightRequestsFinish) {
  DaemonOptions o;
  o.yaml = std::string("workers: 1\ndrain_timeout: 20s\n") + kHelloApps;
  DaemonHarness d(o);
  FrameClient busy(d.socket_path());
  busy.SendHead("GET", "/sleep?ms=1000");
  busy.SendEnd();
  FrameClient idle(d.socket_path());
  ASSERT_EQ(idle.Request("GET", "/hello").status, 200);
  std::this_thread::sleep_for(100ms);
  auto stopped = std::async(std::launch::async, [&d] { return d.Stop(); });
  auto r = busy.ReadResponse();
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "slept 1000 ms");
  EXPECT_TRUE(idle.WaitClosed(5s));
  int status = stopped.get();
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << d.Log();
  EXPECT_NE(d.Log().find("worker stopped"), std::string::npos);
}

TEST(Lifecycle, CheckConfigAcceptsAGoodFile) {
  auto r = CheckSpindledConfig(std::string("listen:\n  path: ${SOCK}\n") + kHelloApps);
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("is ok"), std::string::npos) << r.output;
}

TEST(Lifecycle, CheckConfigRejectsUnknownKeysWithPosition) {
  auto r = CheckSpindledConfig("listen:\n  path: ${SOCK}\n  colour: blue\n");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.output.find("spindled.yaml:3:3: key 'listen.colour': unknown key"),
            std::string::npos)
      << r.output;
}

TEST(Lifecycle, CheckConfigRejectsAMissingApp) {
  auto r = CheckSpindledConfig(
      "listen:\n  path: ${SOCK}\napps:\n  - {name: gone, path: /nonexistent/app.so}\n");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.output.find("app 'gone': cannot load '/nonexistent/app.so'"), std::string::npos)
      << r.output;
}

TEST(Lifecycle, FailingStartIsReported) {
  // A second daemon on the same socket must refuse to start.
  DaemonOptions o;
  o.yaml = std::string("workers: 1\n") + kHelloApps;
  DaemonHarness first(o);
  DaemonOptions second = o;
  second.listen = "  path: " + first.socket_path() + "\n";
  second.start_timeout = 5s;
  try {
    DaemonHarness d(second);
    FAIL() << "second daemon started";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("in use by another process"), std::string::npos)
        << e.what();
  }
  FrameClient c(first.socket_path());
  EXPECT_EQ(c.Request("GET", "/hello").status, 200);
}

}  // namespace
}  // namespace spindle::test
