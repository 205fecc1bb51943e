// Shared pieces of the fault drills: the stack under test (the real spindled
// running drill_app behind the real nginx with our module, keep-alive
// upstream over a unix socket in a temp dir), a scrape of the daemon's
// gauges over its admin socket, a worker's VmRSS, and the one line of counts
// each drill prints so its figures can be quoted.
//
// Thread contract: test threads only; every wait is bounded.
#pragma once

#include "daemon_harness.hpp"
#include "frame_client.hpp"
#include "http_client.hpp"
#include "load_client.hpp"
#include "nginx_harness.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <thread>

namespace spindle::test::drills {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// Top-level spindled YAML (after `listen:`) running drill_app at /, with an
// admin socket at ${DIR}/admin.sock; `extra` goes before apps: (redis:, ...).
inline std::string DrillYaml(int workers, const std::string& extra = "") {
  return "workers: " + std::to_string(workers) +
         "\ndrain_timeout: 10s\n"
         "admin:\n  path: ${DIR}/admin.sock\n  mode: \"0666\"\n" +
         extra + "apps:\n  - name: drill\n    path: " DRILL_APP "\n    mount: /\n";
}

// nginx's upstream block for a daemon socket (keep-alive connections).
inline std::string Upstream(const std::string& socket) {
  return "upstream d { server unix:" + socket + "; keepalive 32; }\n";
}

// A daemon log must show no sanitizer report (the ASan + UBSan build writes
// them to the daemon's stderr, which is the log; a leak shows at exit).
inline void ExpectCleanDaemonLog(const std::string& log) {
  EXPECT_EQ(log.find("Sanitizer"), std::string::npos) << log;
  EXPECT_EQ(log.find("runtime error:"), std::string::npos) << log;
}

struct Stack {
  // `server_extra`: directives and location blocks added to nginx's server
  // block; `location /` always goes to the daemon.
  explicit Stack(const std::string& yaml, const std::string& server_extra = "",
                 int expect_workers = 1) {
    DaemonOptions d;
    d.yaml = yaml;
    d.expect_workers = expect_workers;
    daemon = std::make_unique<DaemonHarness>(d);
    NginxOptions n;
    n.http = Upstream(daemon->socket_path());
    n.server = server_extra + "location / { spindle_pass d; }\n";
    n.error_log_level = "notice";
    nginx = std::make_unique<NginxHarness>(n);
  }
  ~Stack() {
    nginx.reset();
    daemon->Stop();
    ExpectCleanDaemonLog(daemon->Log());
  }
  Stack(const Stack&) = delete;
  Stack& operator=(const Stack&) = delete;

  std::string admin_socket() const { return daemon->dir() + "/admin.sock"; }
  uint16_t port() const { return nginx->port(); }

  std::unique_ptr<DaemonHarness> daemon;
  std::unique_ptr<NginxHarness> nginx;
};

// One value from the daemon's Prometheus text (`name value` lines, summed
// over workers by the exporter); nullopt when the scrape or the name fails.
inline std::optional<double> Metric(const std::string& admin_socket, const std::string& name) {
  try {
    FrameClient c(admin_socket, 5s);
    FrameResponse r = c.Request("GET", "/metrics");
    if (r.status != 200) return std::nullopt;
    std::string key = "\n" + name + " ";
    size_t at = ("\n" + r.body).find(key);
    if (at == std::string::npos) return std::nullopt;
    return std::strtod(r.body.c_str() + at + key.size() - 1, nullptr);
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

// VmRSS of a process in KiB (0 when it cannot be read).
inline long VmRssKiB(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("VmRSS:", 0) == 0) return std::strtol(line.c_str() + 6, nullptr, 10);
  }
  return 0;
}

// GET through nginx on a fresh connection; nullopt when no answer came.
inline std::optional<HttpResponse> TryGet(uint16_t port, const std::string& target) {
  try {
    return HttpGet(port, target);
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

inline long long Ms(Clock::duration d) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
}

// The line each drill prints, and records as a test property.
inline void Report(const std::string& drill, const std::string& phase, const LoadCounts& c) {
  std::printf("[drill] %s %s: %s\n", drill.c_str(), phase.c_str(), c.Summary().c_str());
  std::fflush(stdout);
  ::testing::Test::RecordProperty(phase, c.Summary());
}

}  // namespace spindle::test::drills
