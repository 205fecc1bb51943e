// activated_daemon_test.hpp: a GoogleTest fixture for tests that start
// spindled the way systemd does (activation.hpp): a temp dir holding the
// listening socket the test owns, a NOTIFY_SOCKET, and the daemon's config
// (`listen:` naming that socket, then the subclass's YAML). Start() spawns a
// daemon on the inherited socket and waits for its READY=1; TearDown kills
// whatever is still running and removes the dir unless the test failed.
//
// Thread contract: test threads only; every wait is bounded.
#pragma once

#include "activation.hpp"
#include "daemon_harness.hpp"
#include "text_file.hpp"

#include <gtest/gtest.h>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace spindle::test {

class ActivatedDaemonTest : public ::testing::Test {
 protected:
  // The config after the `listen:` section; ${DIR} stands for dir_.
  virtual std::string ConfigYaml() const = 0;

  void SetUp() override {
    std::string tmpl = "/tmp/spindle-activated-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    sock_ = dir_ + "/spindled.sock";
    config_ = dir_ + "/spindled.yaml";
    listen_fd_ = ListenUnixSocket(sock_);
    notify_ = std::make_unique<NotifySocket>(dir_ + "/notify.sock");
    std::string yaml = ConfigYaml();
    for (size_t at; (at = yaml.find("${DIR}")) != std::string::npos;) yaml.replace(at, 6, dir_);
    // The listen section names the same path, as in a packaged install; the
    // inherited socket wins.
    WriteFile(config_, "listen:\n  path: " + sock_ + "\n" + yaml);
  }

  void TearDown() override {
    for (pid_t p : started_) {
      kill(-p, SIGKILL);
      WaitExit(p, std::chrono::seconds(5));
    }
    notify_.reset();
    if (listen_fd_ >= 0) close(listen_fd_);
    std::error_code ec;
    if (!HasFailure()) std::filesystem::remove_all(dir_, ec);
  }

  // Starts a daemon on the inherited socket, logging to dir_/log_name;
  // waits for its READY=1.
  pid_t Start(const std::string& log_name) {
    size_t ready_before = notify_->Count("READY=1");
    ActivatedDaemon d = SpawnActivated(DefaultSpindledPath(), config_, dir_ + "/" + log_name,
                                       listen_fd_, notify_->path());
    started_.push_back(d.pid);
    EXPECT_TRUE(notify_->WaitFor("READY=1", std::chrono::seconds(30), ready_before + 1))
        << Log(log_name);
    return d.pid;
  }

  // SIGTERM; expects exit status 0.
  void StopGracefully(pid_t pid, const std::string& log_name) {
    ASSERT_EQ(kill(pid, SIGTERM), 0);
    int status = WaitExit(pid, std::chrono::seconds(30));
    EXPECT_TRUE(status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 0)
        << "status " << status << "\n" << Log(log_name);
    std::erase(started_, pid);
  }

  std::string Log(const std::string& log_name) const { return ReadFile(dir_ + "/" + log_name); }

  std::string dir_, sock_, config_;
  int listen_fd_ = -1;
  std::unique_ptr<NotifySocket> notify_;
  std::vector<pid_t> started_;
};

}  // namespace spindle::test
