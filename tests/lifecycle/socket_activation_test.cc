// Socket activation without systemd: the test holds the listening socket
// (as spindled.socket does) and a NOTIFY_SOCKET (as PID 1 does), and starts
// spindled with fd 3, LISTEN_FDS=1 and LISTEN_PID set between fork and exec.
// The daemon serves on the inherited socket, never unlinks it, sends
// READY=1 / RELOADING=1 / STOPPING=1 / STATUS= from the master pid only, and
// a full restart under load (stop one daemon, start the next on the same
// socket) makes clients wait in the backlog, never fail.
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

std::string ReadAll(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class Activation : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/spindle-activation-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    sock_ = dir_ + "/spindled.sock";
    config_ = dir_ + "/spindled.yaml";
    listen_fd_ = ListenUnixSocket(sock_);
    notify_ = std::make_unique<NotifySocket>(dir_ + "/notify.sock");
    std::ofstream out(config_);
    // The listen section names the same path, as in a packaged install; the
    // inherited socket wins.
    out << "listen:\n  path: " << sock_ << "\n" << LifecycleYaml("v1");
  }

  void TearDown() override {
    for (pid_t p : started_) {
      kill(-p, SIGKILL);
      WaitExit(p, 5s);
    }
    notify_.reset();
    if (listen_fd_ >= 0) close(listen_fd_);
    std::error_code ec;
    if (!HasFailure()) std::filesystem::remove_all(dir_, ec);
  }

  // Starts a daemon on the inherited socket; waits for its READY=1.
  pid_t Start(const std::string& log_name) {
    size_t ready_before = notify_->Count("READY=1");
    ActivatedDaemon d = SpawnActivated(DefaultSpindledPath(), config_, dir_ + "/" + log_name,
                                       listen_fd_, notify_->path());
    started_.push_back(d.pid);
    EXPECT_TRUE(notify_->WaitFor("READY=1", 30s, ready_before + 1))
        << ReadAll(dir_ + "/" + log_name);
    return d.pid;
  }

  // SIGTERM; expects exit status 0.
  void StopGracefully(pid_t pid, const std::string& log_name) {
    ASSERT_EQ(kill(pid, SIGTERM), 0);
    int status = WaitExit(pid, 30s);
    EXPECT_TRUE(status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 0)
        << "status " << status << "\n" << ReadAll(dir_ + "/" + log_name);
    std::erase(started_, pid);
  }

  std::string dir_, sock_, config_;
  int listen_fd_ = -1;
  std::unique_ptr<NotifySocket> notify_;
  std::vector<pid_t> started_;
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
  ASSERT_TRUE(notify_->WaitFor("READY=1", 30s, ready_before + 1)) << ReadAll(dir_ + "/m.log");
  EXPECT_EQ(Get(sock_, "/tag"), "v1");
  FrameClient c(admin);
  FrameResponse r = c.Request("GET", "/status.txt");
  EXPECT_EQ(r.status, 200) << r.body;
  std::string log = ReadAll(dir_ + "/m.log");
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
  std::string log = ReadAll(dir_ + "/u.log");
  EXPECT_NE(log.find("systemd passed 'unix:" + sock_ + "', not listen:"), std::string::npos) << log;
  FrameClient c(admin);
  EXPECT_EQ(c.Request("GET", "/status.txt").status, 200);
  StopGracefully(pid, "u.log");
  struct stat st;
  EXPECT_NE(stat(admin.c_str(), &st), 0) << "the daemon left its own admin socket behind";
}

TEST_F(Activation, ServesTheInheritedSocketAndNotifiesSystemd) {
  pid_t pid = Start("a.log");
  std::string log = ReadAll(dir_ + "/a.log");
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
  ASSERT_TRUE(notify_->WaitFor("RELOADING=1", 20s)) << ReadAll(dir_ + "/a.log");
  ASSERT_TRUE(notify_->WaitFor("READY=1", 30s, 2)) << ReadAll(dir_ + "/a.log");
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
  ASSERT_TRUE(load.WaitForMore(50, 20s)) << load.Failures() << ReadAll(dir_ + "/a.log");
  StopGracefully(first, "a.log");
  // No daemon at all for a moment: connections queue in the backlog.
  std::this_thread::sleep_for(300ms);
  uint64_t during_gap = load.ok();
  pid_t second = Start("b.log");
  ASSERT_TRUE(load.WaitForMore(50, 30s)) << load.Failures() << ReadAll(dir_ + "/b.log");
  load.Stop();
  EXPECT_EQ(load.failed(), 0u) << load.Failures() << ReadAll(dir_ + "/a.log")
                               << ReadAll(dir_ + "/b.log");
  EXPECT_EQ(load.refused(), 0u);
  EXPECT_GT(load.ok(), during_gap);
  StopGracefully(second, "b.log");
}

}  // namespace
}  // namespace spindle::test
