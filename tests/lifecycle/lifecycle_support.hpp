// Small helpers shared by the lifecycle tests: the YAML of a daemon running
// the lifecycle app, rewriting a running daemon's config file (for SIGHUP),
// and reading one plain-text answer over the wire protocol.
#pragma once

#include "daemon_harness.hpp"
#include "frame_client.hpp"

#include <chrono>
#include <fstream>
#include <string>
#include <thread>

namespace spindle::test {

// Top-level YAML (after `listen:`) with the lifecycle app tagged `tag`.
inline std::string LifecycleYaml(const std::string& tag, const std::string& extra = "",
                                 int workers = 2) {
  return "workers: " + std::to_string(workers) + "\ndrain_timeout: 10s\n" + extra +
         "apps:\n  - name: lc\n    path: " + LIFECYCLE_APP +
         "\n    mount: /\n    config:\n      tag: " + tag + "\n";
}

// Replaces the daemon's config file (same listen section as the harness).
inline void RewriteConfig(const DaemonHarness& d, const std::string& yaml,
                          const std::string& listen_path = "") {
  std::ofstream out(d.config_path(), std::ios::trunc);
  out << "listen:\n  path: " << (listen_path.empty() ? d.socket_path() : listen_path)
      << "\n  mode: \"0666\"\n"
      << yaml;
}

inline std::string Get(const std::string& socket, const std::string& uri) {
  FrameClient c(socket);
  FrameResponse r = c.Request("GET", uri);
  return r.status == 200 ? r.body : "status " + std::to_string(r.status);
}

// After a reload the old workers finish what they hold and may still accept
// for a moment after READY=1: ask until the new generation answers.
inline std::string WaitForAnswer(const std::string& socket, const std::string& uri,
                                 const std::string& expected,
                                 std::chrono::milliseconds timeout = std::chrono::seconds(20)) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  std::string got;
  do {
    got = Get(socket, uri);
    if (got == expected) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  } while (std::chrono::steady_clock::now() < deadline);
  return got;
}

}  // namespace spindle::test
