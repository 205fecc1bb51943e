// Exhausted resources end one request, not the worker: through the real
// nginx, a burst of long requests larger than the worker's fibers can hold
// (the max_fibers cap, or the kernel refusing stack mappings, simulated with
// the SPINDLE_FAULT_STACK_MMAP_FAIL_AFTER hook) gets some refusals, the
// worker keeps accepting and serves everything after the burst, and
// spindle_fiber_spawn_failures_total counts the refusals.
#include "daemon_harness.hpp"
#include "http_client.hpp"
#include "nginx_harness.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace spindle::test {
namespace {

struct Stack {
  explicit Stack(const std::string& extra_yaml) {
    DaemonOptions d;
    d.yaml = "workers: 1\n" + extra_yaml +
             "admin:\n  path: ${DIR}/admin.sock\n  mode: \"0666\"\n"
             "apps:\n  - name: hello\n    path: ${HELLO_APP}\n    mount: /\n";
    daemon = std::make_unique<DaemonHarness>(d);
    NginxOptions n;
    n.vars["SOCK"] = daemon->socket_path();
    std::string admin = daemon->socket_path();
    admin = admin.substr(0, admin.rfind('/')) + "/admin.sock";
    n.vars["ADMIN"] = admin;
    n.http = "upstream d { server unix:${SOCK}; keepalive 64; }";
    n.server = R"(
      location / { spindle_pass d; }
      location = /metrics { spindle_pass unix:${ADMIN}; }
    )";
    nginx = std::make_unique<NginxHarness>(n);
  }
  std::unique_ptr<DaemonHarness> daemon;
  std::unique_ptr<NginxHarness> nginx;
};

// `n` concurrent GET /sleep?ms=800; returns how many got each status.
std::map<int, int> Burst(uint16_t port, int n) {
  std::vector<int> statuses(n, 0);
  std::vector<std::thread> threads;
  for (int i = 0; i < n; ++i) {
    threads.emplace_back([&, i] {
      try {
        statuses[i] = HttpGet(port, "/sleep?ms=800").status;
      } catch (const std::exception&) {
        statuses[i] = -1;  // no answer at all
      }
    });
  }
  for (auto& t : threads) t.join();
  std::map<int, int> by_status;
  for (int s : statuses) ++by_status[s];
  return by_status;
}

uint64_t SpawnFailures(uint16_t port) {
  std::string body = HttpGet(port, "/metrics").body;
  const std::string key = "\nspindle_fiber_spawn_failures_total ";
  size_t at = body.find(key);
  if (at == std::string::npos) return 0;
  return std::strtoull(body.c_str() + at + key.size(), nullptr, 10);
}

void ExpectRefusalsThenRecovery(Stack& s) {
  pid_t before = s.daemon->pid();
  std::map<int, int> got = Burst(s.nginx->port(), 48);
  std::string summary;
  for (auto [status, count] : got) summary += std::to_string(status) + "x" + std::to_string(count) + " ";
  std::printf("burst of 48: %s(status x count; -1 = no answer)\n", summary.c_str());
  EXPECT_LT(got[200], 48) << "nothing was refused: the limit did not bite; " << summary;
  EXPECT_EQ(got[-1], 0) << "every client got an HTTP answer; " << summary;
  // The worker keeps serving: every request after the burst succeeds.
  for (int i = 0; i < 20; ++i) {
    auto r = HttpGet(s.nginx->port(), "/hello");
    ASSERT_EQ(r.status, 200) << "request " << i << " after the burst (" << summary << ")";
  }
  EXPECT_EQ(s.daemon->pid(), before);
  EXPECT_TRUE(s.daemon->running());
  EXPECT_GT(SpawnFailures(s.nginx->port()), 0u) << HttpGet(s.nginx->port(), "/metrics").body;
  std::string log = s.daemon->Log();
  EXPECT_NE(log.find("no fiber stack"), std::string::npos) << log;
  EXPECT_EQ(log.find("exited"), std::string::npos) << "a worker died:\n" << log;
}

TEST(Exhaustion, MaxFibersRefusesOneRequestNotTheWorker) {
  Stack s("max_fibers: 24\n");
  ExpectRefusalsThenRecovery(s);
}

TEST(Exhaustion, FailedStackMappingRefusesOneRequestNotTheWorker) {
  ::setenv("SPINDLE_FAULT_STACK_MMAP_FAIL_AFTER", "24", 1);
  Stack s("max_fibers: 0\n");
  ::unsetenv("SPINDLE_FAULT_STACK_MMAP_FAIL_AFTER");
  EXPECT_NE(s.daemon->Log().find("fault injection"), std::string::npos);
  ExpectRefusalsThenRecovery(s);
}

}  // namespace
}  // namespace spindle::test
