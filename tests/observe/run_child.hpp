// run_child.hpp: runs a test body in a forked child process (a worker that
// attaches to the shared metrics region, say) and returns its exit status:
// 0 when the child's assertions passed, 1 when one failed, 128 + signal
// when it died. Bounded: a child that hangs is killed after 20 s and the
// test fails. For the metrics region tests of tests/observe.
// Thread contract: test threads only.
#pragma once

#include <gtest/gtest.h>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <functional>
#include <thread>

namespace spindle::test {

inline int RunChild(const std::function<void()>& body) {
  pid_t pid = fork();
  if (pid == 0) {
    body();
    _exit(::testing::Test::HasFailure() ? 1 : 0);
  }
  EXPECT_GT(pid, 0);
  for (int i = 0; i < 2000; ++i) {
    int status = 0;
    pid_t r = waitpid(pid, &status, WNOHANG);
    if (r == pid) return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  kill(pid, SIGKILL);
  waitpid(pid, nullptr, 0);
  ADD_FAILURE() << "child did not finish";
  return -1;
}

}  // namespace spindle::test
