// SIGHUP reload of the real daemon: under a steady load of a few hundred
// requests per second no request fails (counted by the client) while new
// workers take over the same socket and the old ones drain; a broken file,
// or apps that fail to start with the new file, leave the old workers
// serving (and the log says why); a changed listen address is bound before
// the old workers stop; the `redis:` and `postgres:` sections reach the new
// workers.
#include "daemon_harness.hpp"
#include "frame_client.hpp"
#include "lifecycle_support.hpp"
#include "load_client.hpp"

#include <gtest/gtest.h>

#include <signal.h>
#include <sys/stat.h>

#include <optional>
#include <thread>

namespace spindle::test {
namespace {

using namespace std::chrono_literals;

DaemonOptions Options(const std::string& yaml) {
  DaemonOptions o;
  o.yaml = yaml;
  o.expect_workers = 2;
  return o;
}

TEST(Reload, UnderSteadyLoadNoRequestFails) {
  DaemonHarness d(Options(LifecycleYaml("v1")));
  LoadOptions lo;
  lo.socket_path = d.socket_path();
  lo.uri = "/sleep?ms=10";
  lo.threads = 4;
  lo.pause = 2ms;
  LoadClient load(lo);
  load.Start();
  ASSERT_TRUE(load.WaitForMore(100, 20s)) << load.Failures() << d.Log();
  for (int gen = 2; gen <= 3; ++gen) {
    RewriteConfig(d, LifecycleYaml("v" + std::to_string(gen)));
    ASSERT_EQ(kill(d.pid(), SIGHUP), 0);
    ASSERT_TRUE(d.WaitForLog("reload done, generation '" + std::to_string(gen) + "' serving", 30s))
        << d.Log();
    ASSERT_TRUE(d.WaitForLog("generation '" + std::to_string(gen - 1) + "' has drained", 30s))
        << d.Log();
    ASSERT_TRUE(load.WaitForMore(100, 20s)) << load.Failures() << d.Log();
  }
  load.Stop();
  EXPECT_EQ(load.failed(), 0u) << load.Failures() << d.Log();
  EXPECT_EQ(load.refused(), 0u) << d.Log();
  EXPECT_GT(load.ok(), 300u);
  // Only the newest generation answers now.
  for (int i = 0; i < 10; ++i) EXPECT_EQ(Get(d.socket_path(), "/tag"), "v3");
  EXPECT_EQ(d.CountLog("killed by signal"), 0u) << d.Log();
}

// A draining worker never closes a kept-alive connection under nginx's feet:
// a request on it during the drain is answered with "Connection: close"
// (nginx then drops the connection instead of sending the next request into
// a socket being closed) and only then is the connection closed.
TEST(Reload, DrainingWorkerAnnouncesTheCloseOnItsLastAnswer) {
  DaemonHarness d(Options(LifecycleYaml("v1")));
  FrameClient c(d.socket_path());
  FrameResponse first = c.Request("GET", "/tag");
  ASSERT_EQ(first.status, 200);
  EXPECT_FALSE(first.Header("connection").has_value());
  RewriteConfig(d, LifecycleYaml("v2"));
  ASSERT_EQ(kill(d.pid(), SIGHUP), 0);
  // Keep the connection busy (never quiet long enough to be closed idle)
  // until the old worker drains; its next answer announces the close.
  std::optional<FrameResponse> announced;
  for (auto deadline = std::chrono::steady_clock::now() + 20s;
       std::chrono::steady_clock::now() < deadline;) {
    FrameResponse r = c.Request("GET", "/tag");
    ASSERT_EQ(r.status, 200) << d.Log();
    if (r.Header("connection")) {
      announced = r;
      break;
    }
    std::this_thread::sleep_for(20ms);
  }
  ASSERT_TRUE(announced.has_value()) << d.Log();
  EXPECT_EQ(*announced->Header("connection"), "close");
  EXPECT_EQ(announced->body, "v1");
  EXPECT_TRUE(c.WaitClosed(5s)) << d.Log();
  ASSERT_TRUE(d.WaitForLog("generation '1' has drained", 30s)) << d.Log();
  EXPECT_EQ(WaitForAnswer(d.socket_path(), "/tag", "v2"), "v2");
}

TEST(Reload, BrokenConfigKeepsServing) {
  DaemonHarness d(Options(LifecycleYaml("v1")));
  ASSERT_TRUE(d.WaitForLog("master started worker", 10s, 2)) << d.Log();
  auto pids = d.WorkerPids();
  std::string broken = LifecycleYaml("v2");
  broken.replace(broken.find("workers: 2"), 10, "workers: two");
  RewriteConfig(d, broken);
  ASSERT_EQ(kill(d.pid(), SIGHUP), 0);
  ASSERT_TRUE(d.WaitForLog("reload failed, keeping the running configuration", 10s)) << d.Log();
  // The log says why, with the position in the file.
  EXPECT_NE(d.Log().find("spindled.yaml:4:10: key 'workers': expected auto or an integer 1..256, "
                         "got \"two\""),
            std::string::npos)
      << d.Log();
  // Logged at error level (journald priority 3 or the plain "[error]" form).
  std::string log = d.Log();
  size_t at = log.find("reload failed");
  std::string line = log.substr(log.rfind('\n', at) + 1, log.find('\n', at) - log.rfind('\n', at));
  EXPECT_TRUE(line.find("error") != std::string::npos || line.find("<3>") != std::string::npos)
      << line;
  for (int i = 0; i < 10; ++i) EXPECT_EQ(Get(d.socket_path(), "/tag"), "v1");
  EXPECT_EQ(d.WorkerPids(), pids);
  // A fixed file reloads fine afterwards.
  RewriteConfig(d, LifecycleYaml("v3"));
  ASSERT_EQ(kill(d.pid(), SIGHUP), 0);
  ASSERT_TRUE(d.WaitForLog("reload done, generation '2' serving", 30s)) << d.Log();
  EXPECT_EQ(WaitForAnswer(d.socket_path(), "/tag", "v3"), "v3");
}

TEST(Reload, AppsFailingInNewWorkersKeepTheOldOnes) {
  DaemonHarness d(Options(LifecycleYaml("v1")));
  std::string failing = LifecycleYaml("v2");
  failing += "      fail_init: true\n";
  RewriteConfig(d, failing);
  ASSERT_EQ(kill(d.pid(), SIGHUP), 0);
  ASSERT_TRUE(d.WaitForLog("reload failed (apps failed to initialise), keeping generation '1'", 30s))
      << d.Log();
  for (int i = 0; i < 10; ++i) EXPECT_EQ(Get(d.socket_path(), "/tag"), "v1");
  EXPECT_TRUE(d.running());
}

TEST(Reload, NewListenAddressIsBoundFirst) {
  DaemonHarness d(Options(LifecycleYaml("v1")));
  std::string other = d.dir() + "/other.sock";
  RewriteConfig(d, LifecycleYaml("v2"), other);
  ASSERT_EQ(kill(d.pid(), SIGHUP), 0);
  ASSERT_TRUE(d.WaitForLog("reload done, generation '2' serving", 30s)) << d.Log();
  EXPECT_EQ(Get(other, "/tag"), "v2");
  ASSERT_TRUE(d.WaitForLog("generation '1' has drained", 30s)) << d.Log();
  struct stat st;
  EXPECT_NE(stat(d.socket_path().c_str(), &st), 0) << "the old socket file is still there";
}

TEST(Reload, RedisSectionReachesTheApps) {
  DaemonHarness d(Options(LifecycleYaml("v1", "redis:\n  address: unix:/tmp/r1.sock\n")));
  EXPECT_EQ(Get(d.socket_path(), "/redis"), "unix:/tmp/r1.sock 2");
  RewriteConfig(d, LifecycleYaml("v2", "redis:\n  address: 10.0.0.1:6380\n  pool_size: 5\n"));
  ASSERT_EQ(kill(d.pid(), SIGHUP), 0);
  ASSERT_TRUE(d.WaitForLog("reload done, generation '2' serving", 30s)) << d.Log();
  EXPECT_EQ(WaitForAnswer(d.socket_path(), "/redis", "10.0.0.1:6380 5"), "10.0.0.1:6380 5");
  RewriteConfig(d, LifecycleYaml("v3"));
  ASSERT_EQ(kill(d.pid(), SIGHUP), 0);
  ASSERT_TRUE(d.WaitForLog("reload done, generation '3' serving", 30s)) << d.Log();
  EXPECT_EQ(WaitForAnswer(d.socket_path(), "/redis", "unset 0"), "unset 0");
}

// AppContext::postgres_config() in the workers: the section as loaded, then
// as reloaded, then gone. (No server is needed: the app only reports it.)
TEST(Reload, PostgresSectionReachesTheApps) {
  DaemonHarness d(Options(LifecycleYaml("v1", "postgres:\n  host: /tmp/pg1\n  dbname: one\n")));
  EXPECT_EQ(Get(d.socket_path(), "/postgres"), "/tmp/pg1 one 2");
  RewriteConfig(d, LifecycleYaml("v2", "postgres:\n  host: 10.0.0.1\n  dbname: two\n"
                                       "  pool_size: 5\n"));
  ASSERT_EQ(kill(d.pid(), SIGHUP), 0);
  ASSERT_TRUE(d.WaitForLog("reload done, generation '2' serving", 30s)) << d.Log();
  EXPECT_EQ(WaitForAnswer(d.socket_path(), "/postgres", "10.0.0.1 two 5"), "10.0.0.1 two 5");
  RewriteConfig(d, LifecycleYaml("v3"));
  ASSERT_EQ(kill(d.pid(), SIGHUP), 0);
  ASSERT_TRUE(d.WaitForLog("reload done, generation '3' serving", 30s)) << d.Log();
  EXPECT_EQ(WaitForAnswer(d.socket_path(), "/postgres", "unset"), "unset");
}

}  // namespace
}  // namespace spindle::test
