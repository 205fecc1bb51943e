// Socket activation without systemd: the test holds the listening socket
// (as spindled.socket does) and a NOTIFY_SOCKET (as PID 1 does), and starts
// spindled with fd 3, LISTEN_FDS=1 and LISTEN_PID set between fork and exec.
// The daemon serves on the inherited socket, never unlinks it, sends
// READY=1 / RELOADING=1 / STOPPING=1 / STATUS= from the master pid only, and
// a full restart under load (stop one daemon, start the next on the same
// socket) makes clients wait in the backlog, never fail.
#include "activated_daemon_test.hpp"
#include "activation.hpp"
#include "daemon_harness.hpp"
#include "frame_client.hpp"
#include "lifecycle_support.hpp"
#include "load_client.hpp"

#include <gtest/gtest.h>

#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

namespace spindle::test {
namespace {

using namespace std::chrono_literals;

class Activation : public ActivatedDaemonTest {
 protected:
  std::string ConfigYaml() const override { return LifecycleYaml("v1"); }
};

// spindled.socket passes the request socket and the admin socket; the daemon
// tells them apart by their paths (here passed admin first), and neither
// binds nor chowns them: the config's group does not even exist, so a
// chown attempt would stop the daemon.
TEST_F(Activation, MatchesSeveralInheritedSocketsByPath) {
  std::string admin = dir_ + "/admin.sock";
  int admin_fd = ListenUnixSocket(admin);
  std::ofstream(config_, std::ios::trunc)
      << "listen:\n  path: " << sock_ << "\n  group: no-such-group-spindle\n"
      << "admin:\n  path: " << admin << "\n  group: no-such-group-spindle\n"
      << LifecycleYaml("v1");
  size_t ready_before = notify_->Count("READY=1");
  ActivatedDaemon d = SpawnActivated(DefaultSpindledPath(), config_, dir_ + "/m.log",
                                     std::vector<int>{admin_fd, listen_fd_}, notify_->path());
  started_.push_back(d.pid);
  ASSERT_TRUE(notify_->WaitFor("READY=1", 30s, ready_before + 1)) << Log("m.log");
  EXPECT_EQ(Get(sock_, "/tag"), "v1");
  FrameClient c(admin);
  FrameResponse r = c.Request("GET", "/status.txt");
  EXPECT_EQ(r.status, 200) << r.body;
  std::string log = Log("m.log");
  EXPECT_NE(log.find("admin listener on 'unix:" + admin + "' (from systemd)"), std::string::npos)
      << log;
  StopGracefully(d.pid, "m.log");
  struct stat st;
  EXPECT_EQ(stat(admin.c_str(), &st), 0) << "the daemon unlinked the inherited admin socket";
  close(admin_fd);
}

// A unit whose socket path differs from listen: still serves (the unit's
// socket wins, with a warning), and an admin: path that systemd did not pass
// is bound by the daemon itself.
TEST_F(Activation, UnmatchedSocketServesWithAWarning) {
  std::string admin = dir_ + "/own-admin.sock";
  std::ofstream(config_, std::ios::trunc)
      << "listen:\n  path: " << dir_ << "/elsewhere.sock\n"
      << "admin:\n  path: " << admin << "\n  mode: \"0666\"\n"
      << LifecycleYaml("v1");
  pid_t pid = Start("u.log");
  EXPECT_EQ(Get(sock_, "/tag"), "v1");
  std::string log = Log("u.log");
  EXPECT_NE(log.find("systemd passed 'unix:" + sock_ + "', not listen:"), std::string::npos) << log;
  FrameClient c(admin);
  EXPECT_EQ(c.Request("GET", "/status.txt").status, 200);
  StopGracefully(pid, "u.log");
  struct stat st;
  EXPECT_NE(stat(admin.c_str(), &st), 0) << "the daemon left its own admin socket behind";
}

TEST_F(Activation, ServesTheInheritedSocketAndNotifiesSystemd) {
  pid_t pid = Start("a.log");
  std::string log = Log("a.log");
  EXPECT_NE(log.find("(from systemd)"), std::string::npos) << log;
  EXPECT_EQ(Get(sock_, "/tag"), "v1");
  // STATUS= says how many workers of which generation serve.
  ASSERT_FALSE(notify_->messages().empty());
  EXPECT_NE(notify_->messages().back().find("STATUS=serving: 2 workers, generation 1"),
            std::string::npos)
      << notify_->messages().back();

  // Reload: RELOADING=1, then READY=1 again once the new workers accept.
  std::ofstream(config_, std::ios::trunc) << "listen:\n  path: " << sock_ << "\n"
                                          << LifecycleYaml("v2");
  ASSERT_EQ(kill(pid, SIGHUP), 0);
  ASSERT_TRUE(notify_->WaitFor("RELOADING=1", 20s)) << Log("a.log");
  ASSERT_TRUE(notify_->WaitFor("READY=1", 30s, 2)) << Log("a.log");
  EXPECT_EQ(WaitForAnswer(sock_, "/tag", "v2"), "v2");

  StopGracefully(pid, "a.log");
  EXPECT_TRUE(notify_->WaitFor("STOPPING=1", 5s));
  // Only the master spoke (NotifyAccess=main), never a worker.
  for (pid_t sender : notify_->senders()) EXPECT_EQ(sender, pid);
  // The socket is systemd's: still there, still accepting into its backlog.
  struct stat st;
  EXPECT_EQ(stat(sock_.c_str(), &st), 0) << "the daemon unlinked the inherited socket";
  FrameClient waiting(sock_, 1s);
  EXPECT_NO_THROW(waiting.SendHead("GET", "/tag"));
}

TEST_F(Activation, RestartUnderLoadMakesClientsWaitNotFail) {
  pid_t first = Start("a.log");
  LoadOptions lo;
  lo.socket_path = sock_;
  lo.uri = "/sleep?ms=20";
  lo.threads = 4;
  lo.timeout = 30s;
  LoadClient load(lo);
  load.Start();
  ASSERT_TRUE(load.WaitForMore(50, 20s)) << load.Failures() << Log("a.log");
  StopGracefully(first, "a.log");
  // No daemon at all for a moment: connections queue in the backlog.
  std::this_thread::sleep_for(300ms);
  uint64_t during_gap = load.ok();
  pid_t second = Start("b.log");
  ASSERT_TRUE(load.WaitForMore(50, 30s)) << load.Failures() << Log("b.log");
  load.Stop();
  EXPECT_EQ(load.failed(), 0u) << load.Failures() << Log("a.log")
                               << Log("b.log");
  EXPECT_EQ(load.refused(), 0u);
  EXPECT_GT(load.ok(), during_gap);
  StopGracefully(second, "b.log");
}

}  // namespace
}  // namespace spindle::test
