// The daemon's signals under load: SIGTERM drains every in-flight request
// and exits 0; a worker killed with SIGKILL is respawned with back-off and
// the service recovers; SIGUSR1 reopens logs without touching the workers.
#include "daemon_harness.hpp"
#include "frame_client.hpp"
#include "lifecycle_support.hpp"
#include "load_client.hpp"

#include <gtest/gtest.h>

#include <signal.h>
#include <sys/wait.h>

#include <future>
#include <set>
#include <thread>

namespace spindle::test {
namespace {

using namespace std::chrono_literals;

TEST(Signals, SigtermUnderLoadCompletesEveryInFlightRequest) {
  DaemonOptions o;
  o.yaml = LifecycleYaml("v1");
  o.expect_workers = 2;
  DaemonHarness d(o);
  // One long request surely in flight, plus a steady stream of short ones.
  FrameClient slow(d.socket_path(), 30s);
  slow.SendHead("GET", "/sleep?ms=1500");
  slow.SendEnd();
  LoadOptions lo;
  lo.socket_path = d.socket_path();
  lo.uri = "/sleep?ms=100";
  lo.threads = 6;
  LoadClient load(lo);
  load.Start();
  ASSERT_TRUE(load.WaitForMore(30, 20s)) << load.Failures() << d.Log();
  auto stopped = std::async(std::launch::async, [&d] { return d.Stop(); });
  FrameResponse r = slow.ReadResponse();
  int status = stopped.get();
  load.Stop();
  EXPECT_EQ(r.status, 200);
  EXPECT_TRUE(r.ended);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << d.Log();
  // Requests that connected were all answered; later ones found no socket.
  EXPECT_EQ(load.failed(), 0u) << load.Failures() << d.Log();
  EXPECT_GE(load.ok(), 30u);
  EXPECT_EQ(d.CountLog("still running after drain_timeout"), 0u) << d.Log();
}

TEST(Signals, KilledWorkerIsRespawnedWithBackoff) {
  DaemonOptions o;
  o.yaml = LifecycleYaml("v1");
  o.expect_workers = 2;
  DaemonHarness d(o);
  LoadOptions lo;
  lo.socket_path = d.socket_path();
  lo.uri = "/pid";
  lo.threads = 2;
  LoadClient load(lo);
  load.Start();
  // A worker may log "ready" before the master logs that it started it.
  ASSERT_TRUE(d.WaitForLog("master started worker", 10s, 2)) << d.Log();
  auto pids = d.WorkerPids();
  ASSERT_EQ(pids.size(), 2u);
  ASSERT_EQ(kill(pids[0], SIGKILL), 0);
  ASSERT_TRUE(d.WaitForLog("killed by signal 'Killed'", 10s)) << d.Log();
  EXPECT_TRUE(d.WaitForLog("respawning worker '0' in '100ms'", 10s)) << d.Log();
  ASSERT_TRUE(d.WaitForLog("worker ready", 20s, 3)) << d.Log();
  // A quick second crash of the same slot waits twice as long.
  ASSERT_TRUE(d.WaitForLog("master started worker", 10s, 3)) << d.Log();
  auto again = d.WorkerPids();
  ASSERT_EQ(again.size(), 3u);
  ASSERT_EQ(kill(again.back(), SIGKILL), 0);
  EXPECT_TRUE(d.WaitForLog("respawning worker '0' in '200ms'", 10s)) << d.Log();
  ASSERT_TRUE(d.WaitForLog("worker ready", 20s, 4)) << d.Log();
  ASSERT_TRUE(d.WaitForLog("master started worker", 10s, 4)) << d.Log();
  // The service recovers: both live workers answer.
  ASSERT_TRUE(load.WaitForMore(50, 20s)) << load.Failures() << d.Log();
  load.Stop();
  std::set<std::string> answered;
  auto live = d.WorkerPids();
  for (int i = 0; i < 200 && answered.size() < 2; ++i) answered.insert(Get(d.socket_path(), "/pid"));
  EXPECT_TRUE(answered.count(std::to_string(live.back()))) << d.Log();
  EXPECT_TRUE(answered.count(std::to_string(live[1]))) << d.Log();
}

TEST(Signals, Sigusr1ReopensLogsAndKeepsWorkers) {
  DaemonOptions o;
  o.yaml = LifecycleYaml("v1");
  o.expect_workers = 2;
  DaemonHarness d(o);
  ASSERT_TRUE(d.WaitForLog("master started worker", 10s, 2)) << d.Log();
  auto pids = d.WorkerPids();
  ASSERT_EQ(pids.size(), 2u);
  ASSERT_EQ(kill(d.pid(), SIGUSR1), 0);
  ASSERT_TRUE(d.WaitForLog("reopening log files", 10s)) << d.Log();
  std::this_thread::sleep_for(200ms);
  for (pid_t p : pids) EXPECT_EQ(kill(p, 0), 0) << "worker " << p << " died on SIGUSR1";
  EXPECT_EQ(Get(d.socket_path(), "/tag"), "v1");
  EXPECT_EQ(d.CountLog("killed by signal"), 0u) << d.Log();
}

}  // namespace
}  // namespace spindle::test
