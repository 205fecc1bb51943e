// Drill 3: a full daemon restart on an inherited socket, under keep-alive
// load through nginx. The test holds the listening socket the way
// spindled.socket does and starts each daemon the way systemd does (fd 3,
// LISTEN_FDS, LISTEN_PID, NOTIFY_SOCKET); the first daemon stops gracefully
// (SIGTERM), nothing runs for 300 ms, then the second starts. nginx's new
// connections wait in the socket's backlog meanwhile, and nginx may retry a
// request on a cached connection the old daemon closed: the client sees no
// error at all.
#include "activation.hpp"
#include "drill_support.hpp"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <sstream>

namespace spindle::test::drills {
namespace {

std::string ReadAll(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class RestartDrill : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/spindle-drill-restart-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    sock_ = dir_ + "/spindled.sock";
    config_ = dir_ + "/spindled.yaml";
    listen_fd_ = ListenUnixSocket(sock_);
    notify_ = std::make_unique<NotifySocket>(dir_ + "/notify.sock");
    std::string yaml = DrillYaml(2);
    yaml.replace(yaml.find("${DIR}"), 6, dir_);
    std::ofstream(config_) << "listen:\n  path: " << sock_ << "\n" << yaml;
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

  pid_t Start(const std::string& log_name) {
    size_t ready_before = notify_->Count("READY=1");
    ActivatedDaemon d = SpawnActivated(DefaultSpindledPath(), config_, dir_ + "/" + log_name,
                                       listen_fd_, notify_->path());
    started_.push_back(d.pid);
    EXPECT_TRUE(notify_->WaitFor("READY=1", 20s, ready_before + 1))
        << ReadAll(dir_ + "/" + log_name);
    return d.pid;
  }

  void StopGracefully(pid_t pid, const std::string& log_name) {
    ASSERT_EQ(kill(pid, SIGTERM), 0);
    int status = WaitExit(pid, 20s);
    EXPECT_TRUE(status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 0)
        << "status " << status << "\n" << ReadAll(dir_ + "/" + log_name);
    std::erase(started_, pid);
  }

  std::string dir_, sock_, config_;
  int listen_fd_ = -1;
  std::unique_ptr<NotifySocket> notify_;
  std::vector<pid_t> started_;
};

TEST_F(RestartDrill, RestartOnInheritedSocketUnderLoadLosesNothing) {
  pid_t first = Start("a.log");
  NginxOptions n;
  n.http = Upstream(sock_);
  n.server = "location / { spindle_pass d; }\n";
  NginxHarness nginx(n);

  LoadOptions lo;
  lo.http_port = nginx.port();
  lo.uri = "/sleep?ms=20";
  lo.keep_alive = true;
  lo.threads = 6;
  lo.pause = 1ms;
  lo.timeout = 15s;
  LoadClient load(lo);
  load.Start();
  ASSERT_TRUE(load.WaitForMore(100, 20s)) << load.Counts().Summary() << load.Failures();

  Clock::time_point stop_at = Clock::now();
  StopGracefully(first, "a.log");
  std::this_thread::sleep_for(300ms);  // no daemon at all
  LoadCounts gap = load.Counts();
  pid_t second = Start("b.log");
  Clock::duration down = Clock::now() - stop_at;
  ASSERT_TRUE(load.WaitForMore(100, 20s)) << load.Counts().Summary() << load.Failures();
  load.Stop();

  LoadCounts total = load.Counts();
  Report("restart", "total", total);
  std::printf("[drill] restart: old daemon stopped to new one ready in %lld ms\n", Ms(down));
  EXPECT_EQ(total.failed(), 0u) << total.Summary() << "\n" << load.Failures()
                                << nginx.ErrorLog() << ReadAll(dir_ + "/a.log")
                                << ReadAll(dir_ + "/b.log");
  EXPECT_EQ(total.finished(), total.sent);
  EXPECT_GT(total.ok, gap.ok + 50);
  StopGracefully(second, "b.log");
  ExpectCleanDaemonLog(ReadAll(dir_ + "/a.log"));
  ExpectCleanDaemonLog(ReadAll(dir_ + "/b.log"));
}

}  // namespace
}  // namespace spindle::test::drills
