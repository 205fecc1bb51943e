// metrics_daemon_test.cc: app metrics and logging through the real spindled
// (master, 2 forked workers, the admin socket) with the daemon tests' app
// (tests/server/test_app.cpp: /t/metrics/bump and /t/log), driven over the
// wire protocol (no nginx). Each worker's init registers the same metrics;
// bumps land on whichever worker accepted the connection, and the admin
// /metrics (strictly parsed) shows them summed and, per worker, matching
// what each worker (by pid, through spindle_worker_info) answered. The app's
// log lines appear in the daemon's log with the app's name, in the journal
// and JSON formats.
//
// Waits are bounded; nothing asserts on elapsed time. A handler records
// before it answers, so a scrape after the last answer sees every bump.
#include "daemon_harness.hpp"
#include "frame_client.hpp"
#include "prom_parser.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <map>
#include <memory>
#include <sstream>
#include <string>

namespace spindle::test {
namespace {

std::unique_ptr<DaemonHarness> StartDaemon(const std::string& format) {
  DaemonOptions o;
  o.yaml = std::string("workers: 2\n"
                       "admin:\n"
                       "  path: ${DIR}/admin.sock\n"
                       "log:\n"
                       "  level: info\n"
                       "  format: ") +
           format +
           "\n"
           "apps:\n"
           "  - name: test\n"
           "    path: " SPINDLE_TEST_APP "\n"
           "    mount: /t\n";
  o.expect_workers = 2;
  return std::make_unique<DaemonHarness>(o);
}

PromParse Scrape(const DaemonHarness& d, const std::string& target) {
  FrameClient admin(d.dir() + "/admin.sock");
  FrameResponse r = admin.Request("GET", target);
  EXPECT_EQ(r.status, 200) << r.body;
  PromParse p = ParsePrometheus(r.body);
  EXPECT_TRUE(p.ok()) << p.error << "\n" << r.body;
  return p;
}

// "<prefix>... <needle> ..." lines of the daemon log.
std::vector<std::string> LogLines(const DaemonHarness& d, const std::string& needle) {
  std::vector<std::string> out;
  std::istringstream in(d.Log());
  for (std::string line; std::getline(in, line);) {
    if (line.find(needle) != std::string::npos) out.push_back(line);
  }
  return out;
}

TEST(ToolkitE2E, AppMetricsAreSummedOverTwoWorkers) {
  auto d = StartDaemon("journal");
  // One connection per bump, until both workers have answered some.
  std::map<std::string, uint64_t> added_by_pid;  // pid -> sum of n
  std::map<std::string, uint64_t> bumps_by_pid;
  uint64_t added = 0, bumps = 0;
  for (int i = 0; i < 400 && (added_by_pid.size() < 2 || bumps < 20); ++i) {
    const uint64_t n = 1 + i % 3;
    FrameClient c(d->socket_path());
    FrameResponse r = c.Request("GET", "/t/metrics/bump?n=" + std::to_string(n) + "&ms=2");
    ASSERT_EQ(r.status, 200) << r.body;
    added_by_pid[r.body] += n;
    bumps_by_pid[r.body] += 1;
    added += n;
    ++bumps;
  }
  ASSERT_EQ(added_by_pid.size(), 2u) << "one worker answered every connection";

  PromParse m = Scrape(*d, "/metrics");
  ASSERT_NE(m.Family("test_app_bumps_total"), nullptr);
  EXPECT_EQ(m.Family("test_app_bumps_total")->type, "counter");
  EXPECT_EQ(m.Family("test_app_bumps_total")->help, "Bumps received.");
  EXPECT_EQ(m.Family("test_app_bump_seconds")->type, "histogram");
  EXPECT_EQ(m.Family("test_app_bumps_open")->type, "gauge");
  EXPECT_EQ(m.Value("test_app_bumps_total"), static_cast<double>(added));
  EXPECT_EQ(m.Value("test_app_bumps_open"), static_cast<double>(bumps));
  EXPECT_EQ(m.Value("test_app_bump_seconds_count"), static_cast<double>(bumps));
  EXPECT_EQ(m.Value("test_app_bump_seconds_bucket", {{"le", "0.001"}}), 0);
  EXPECT_EQ(m.Value("test_app_bump_seconds_bucket", {{"le", "0.0025"}}),
            static_cast<double>(bumps));
  EXPECT_NEAR(*m.Value("test_app_bump_seconds_sum"), 0.002 * static_cast<double>(bumps), 1e-9);

  // Per worker: slot -> pid from spindle_worker_info, then each slot's
  // value is what that pid answered.
  PromParse per = Scrape(*d, "/metrics?per_worker=1");
  const PromFamily* info = per.Family("spindle_worker_info");
  ASSERT_NE(info, nullptr);
  int matched = 0;
  for (const PromSample& s : info->samples) {
    const std::string pid = s.labels.at("pid");
    if (!added_by_pid.count(pid)) continue;
    const std::map<std::string, std::string> worker = {{"worker", s.labels.at("worker")}};
    EXPECT_EQ(per.Value("test_app_bumps_total", worker), static_cast<double>(added_by_pid[pid]));
    EXPECT_EQ(per.Value("test_app_bump_seconds_count", worker),
              static_cast<double>(bumps_by_pid[pid]));
    ++matched;
  }
  EXPECT_EQ(matched, 2);
}

TEST(ToolkitE2E, AppLogLinesInJournalFormat) {
  auto d = StartDaemon("journal");
  FrameClient c(d->socket_path());
  EXPECT_EQ(c.Request("GET", "/t/log?msg=hello%20from%20the%20app").body, "enabled");
  EXPECT_EQ(c.Request("GET", "/t/log?msg=careful&level=warn").body, "enabled");
  EXPECT_EQ(c.Request("GET", "/t/log?msg=two%0Alines%20%7B%7D").body, "enabled");
  EXPECT_EQ(c.Request("GET", "/t/log?msg=as%20spindled&plain=1").body, "enabled");
  EXPECT_EQ(c.Request("GET", "/t/log?n=12345").body, "enabled");
  // log.level is info: a debug line is neither enabled nor written.
  EXPECT_EQ(c.Request("GET", "/t/log?msg=not%20shown&level=debug").body, "disabled");
  ASSERT_TRUE(d->WaitForLog("<6>[test] n=12345 (5 digits)"));
  EXPECT_EQ(LogLines(*d, "hello from the app"),
            std::vector<std::string>{"<6>[test] hello from the app"});
  EXPECT_EQ(LogLines(*d, "careful"), std::vector<std::string>{"<4>[test] careful"});
  EXPECT_EQ(LogLines(*d, "lines {}"), std::vector<std::string>{"<6>[test] two\\nlines {}"});
  EXPECT_EQ(LogLines(*d, "as spindled"), std::vector<std::string>{"<6>as spindled"});
  EXPECT_TRUE(LogLines(*d, "not shown").empty());
}

TEST(ToolkitE2E, AppLogLinesInJsonFormat) {
  auto d = StartDaemon("json");
  FrameClient c(d->socket_path());
  EXPECT_EQ(c.Request("GET", "/t/log?msg=json%20%22quoted%22%20line&level=error").body, "enabled");
  ASSERT_TRUE(d->WaitForLog("json \\\"quoted\\\" line"));
  std::vector<std::string> lines = LogLines(*d, "json \\\"quoted\\\" line");
  ASSERT_EQ(lines.size(), 1u);
  auto j = nlohmann::json::parse(lines[0]);
  EXPECT_EQ(j["app"], "test");
  EXPECT_EQ(j["level"], "error");
  EXPECT_EQ(j["msg"], "json \"quoted\" line");
  EXPECT_TRUE(j["pid"].is_number());
  // spindled's own lines in the same log have no app field.
  std::vector<std::string> ready = LogLines(*d, "worker ready");
  ASSERT_FALSE(ready.empty());
  EXPECT_FALSE(nlohmann::json::parse(ready[0]).contains("app"));
}

}  // namespace
}  // namespace spindle::test
