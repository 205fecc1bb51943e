// observe_e2e_test.cc: observability end to end. The real spindled (its
// master creates the metrics region and binds the admin socket; workers
// record every request, sample gauges and serve the admin endpoints) behind
// the real nginx with ngx_http_spindle_module, which also exposes the admin
// socket with `location = /metrics { spindle_pass unix:...; }`.
//
// Shown: the metrics parse as Prometheus text (strict parser) and count
// exactly the requests sent, by route and status, whichever worker served
// them; /status lists a running request with its route and age; the
// watchdog reports a handler that busy-loops 200 ms (log line + metric +
// /status); the journal, logfmt and json log formats carry the access line.
//
// Waits are bounded; nothing asserts on elapsed time. Counters are read
// until they reach the expected value (a worker records a request right
// after writing its last frame, so a scrape may race the last one by a few
// microseconds), then compared exactly.
#include "admin_client.hpp"
#include "daemon_harness.hpp"
#include "http_client.hpp"
#include "nginx_harness.hpp"
#include "prom_parser.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <signal.h>
#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <functional>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace spindle::test {
namespace {

using std::chrono::milliseconds;

std::string DaemonYaml(unsigned workers, const std::string& format) {
  return "workers: " + std::to_string(workers) +
         "\n"
         "admin:\n"
         "  path: ${DIR}/admin.sock\n"
         "  mode: \"0666\"\n"
         "log:\n"
         "  level: info\n"
         "  format: " + format + "\n"
         "  access_log: info\n"
         "apps:\n"
         "  - name: obs\n"
         "    path: " SPINDLE_OBSERVE_APP "\n"
         "    mount: /\n";
}

struct Rig {
  std::unique_ptr<DaemonHarness> daemon;
  std::unique_ptr<NginxHarness> nginx;
  std::string admin;

  explicit Rig(unsigned workers, const std::string& format = "journal") {
    DaemonOptions d;
    d.yaml = DaemonYaml(workers, format);
    d.expect_workers = static_cast<int>(workers);
    daemon = std::make_unique<DaemonHarness>(d);
    admin = daemon->dir() + "/admin.sock";
    NginxOptions n;
    n.vars["SOCK"] = daemon->socket_path();
    n.vars["ADMIN"] = admin;
    n.http = "upstream app { server unix:${SOCK}; keepalive 8; }";
    n.server =
        "location / { spindle_pass app; }\n"
        "location = /metrics { allow 127.0.0.1; deny all; spindle_pass unix:${ADMIN}; }\n"
        "location = /status { allow 127.0.0.1; deny all; spindle_pass unix:${ADMIN}; }\n";
    nginx = std::make_unique<NginxHarness>(n);
  }

  PromParse Metrics() const {
    AdminReply r = AdminGet(admin, "/metrics");
    EXPECT_EQ(r.status, 200) << r.head;
    PromParse p = ParsePrometheus(r.body);
    EXPECT_TRUE(p.ok()) << p.error << "\n" << r.body;
    return p;
  }

  nlohmann::json Status() const {
    AdminReply r = AdminGet(admin, "/status");
    EXPECT_EQ(r.status, 200) << r.head;
    return nlohmann::json::parse(r.body);
  }
};

// Polls `probe` every 20 ms until it returns true or `timeout` passes.
bool WaitUntil(const std::function<bool()>& probe, milliseconds timeout = milliseconds(5000)) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (probe()) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(milliseconds(20));
  }
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) out.push_back(line);
  }
  return out;
}

TEST(ObserveE2E, MetricsCountTheRequestsSentByRouteAndStatus) {
  Rig rig(2);
  HttpClient client(rig.nginx->port());
  uint64_t body_bytes = 0;
  auto send = [&](const std::string& method, const std::string& target, int want,
                  const std::string& body = "") {
    HttpRequest req;
    req.method = method;
    req.target = target;
    req.body = body;
    HttpResponse r = client.Send(req);
    ASSERT_EQ(r.status, want) << method << " " << target << ": " << r.body;
    body_bytes += r.body.size();
  };
  for (int i = 0; i < 6; ++i) send("GET", "/hello", 200);
  for (int i = 0; i < 3; ++i) send("GET", "/items/" + std::to_string(i), 200);
  for (int i = 0; i < 2; ++i) send("POST", "/items", 201, "x");
  for (int i = 0; i < 4; ++i) send("GET", "/missing/" + std::to_string(i), 404);
  send("DELETE", "/hello", 405);
  const double total = 16;

  PromParse m;
  ASSERT_TRUE(WaitUntil([&] {
    m = rig.Metrics();
    return m.Sum("spindle_requests_total") >= total;
  })) << "requests counted: " << m.Sum("spindle_requests_total");
  EXPECT_EQ(m.Sum("spindle_requests_total"), total);
  EXPECT_EQ(m.Value("spindle_requests_total",
                    {{"method", "GET"}, {"route", "/hello"}, {"code", "200"}}), 6);
  EXPECT_EQ(m.Value("spindle_requests_total",
                    {{"method", "GET"}, {"route", "/items/{id}"}, {"code", "200"}}), 3);
  EXPECT_EQ(m.Value("spindle_requests_total",
                    {{"method", "POST"}, {"route", "/items"}, {"code", "201"}}), 2);
  EXPECT_EQ(m.Sum("spindle_requests_total", {{"route", "(none)"}, {"code", "404"}}), 4);
  EXPECT_EQ(m.Sum("spindle_requests_total", {{"route", "(none)"}, {"code", "405"}}), 1);
  EXPECT_EQ(m.Value("spindle_request_duration_seconds_count"), total);
  EXPECT_EQ(m.Value("spindle_request_queue_wait_seconds_count"), total);
  EXPECT_EQ(m.Value("spindle_response_body_bytes_total"), static_cast<double>(body_bytes));
  EXPECT_EQ(m.Value("spindle_requests_in_flight"), 0);
  EXPECT_GE(m.Value("spindle_connections_accepted_total").value_or(0), 1);
  EXPECT_EQ(m.Sum("spindle_worker_info"), 2) << "both workers attached a slot";
  // The gauge sampler runs every 250 ms in each worker: fibers and stacks
  // (at least the accept, signal and sampler fibers) show up.
  ASSERT_TRUE(WaitUntil([&] {
    m = rig.Metrics();
    return m.Value("spindle_fibers_alive").value_or(0) > 0 &&
           m.Value("spindle_fiber_stack_bytes").value_or(0) > 0;
  }));

  // The same numbers through nginx (`spindle_pass unix:admin.sock`).
  HttpResponse via = HttpGet(rig.nginx->port(), "/metrics");
  ASSERT_EQ(via.status, 200) << via.body;
  EXPECT_NE(via.Header("Content-Type").value_or("").find("version=0.0.4"), std::string::npos);
  PromParse n = ParsePrometheus(via.body);
  ASSERT_TRUE(n.ok()) << n.error;
  EXPECT_EQ(n.Value("spindle_requests_total",
                    {{"method", "GET"}, {"route", "/hello"}, {"code", "200"}}), 6);
  EXPECT_EQ(n.Sum("spindle_requests_total"), total);
}

TEST(ObserveE2E, StatusShowsARunningRequestWithRouteAndAge) {
  Rig rig(1);
  std::atomic<int> slow_status{0};
  std::thread slow([&] {
    try {
      slow_status = HttpGet(rig.nginx->port(), "/sleep?ms=1500").status;
    } catch (const std::exception&) {
      slow_status = -1;
    }
  });
  nlohmann::json seen;
  bool found = WaitUntil([&] {
    nlohmann::json s = rig.Status();
    for (const auto& w : s["workers"]) {
      for (const auto& r : w["requests"]) {
        if (r["route"] == "GET /sleep") {
          seen = r;
          return true;
        }
      }
    }
    return false;
  });
  PromParse m = rig.Metrics();
  slow.join();
  ASSERT_TRUE(found) << rig.Status().dump(2);
  EXPECT_TRUE(seen["age_ms"].is_number());
  EXPECT_GE(seen["age_ms"].get<double>(), 0);
  EXPECT_EQ(slow_status.load(), 200);
  // The scrape taken while it was listed parses (whether the request was
  // still running by then depends on scheduling, so no value is asserted).
  EXPECT_TRUE(m.ok());
  AdminReply text = AdminGet(rig.admin, "/status.txt");
  EXPECT_EQ(text.status, 200);
  EXPECT_NE(text.body.find("WORKER"), std::string::npos) << text.body;
  // After it finished: nothing in flight.
  ASSERT_TRUE(WaitUntil([&] { return rig.Metrics().Value("spindle_requests_in_flight") == 0; }));
}

TEST(ObserveE2E, WatchdogReportsABusyHandlerWithRouteAndDuration) {
  Rig rig(1);
  HttpResponse r = HttpGet(rig.nginx->port(), "/busy?ms=200");
  ASSERT_EQ(r.status, 200);
  ASSERT_TRUE(rig.daemon->WaitForLog("fiber 'GET /busy' running for")) << rig.daemon->Log();
  std::string log = rig.daemon->Log();
  auto at = log.find("fiber 'GET /busy' running for ");
  long reported = std::stol(log.substr(at + std::strlen("fiber 'GET /busy' running for ")));
  EXPECT_GE(reported, 50) << "at least the default threshold";
  // The line is a warning: journal priority 4.
  auto line_start = log.rfind('\n', at);
  line_start = line_start == std::string::npos ? 0 : line_start + 1;
  EXPECT_EQ(log.substr(line_start, 3), "<4>") << log.substr(line_start, at - line_start + 40);

  PromParse m;
  ASSERT_TRUE(WaitUntil([&] {
    m = rig.Metrics();
    return m.Value("spindle_watchdog_slow_slices_total", {{"method", "GET"}, {"route", "/busy"}})
               .value_or(0) >= 1;
  })) << "slow slices: " << m.Sum("spindle_watchdog_slow_slices_total");
  EXPECT_GT(m.Value("spindle_watchdog_slow_slice_seconds_total").value_or(0), 0);
  nlohmann::json s = rig.Status();
  ASSERT_EQ(s["workers"].size(), 1u) << s.dump(2);
  EXPECT_EQ(s["workers"][0]["last_slow_slice"]["route"], "GET /busy") << s.dump(2);
  EXPECT_GE(s["workers"][0]["slow_slices"].get<int>(), 1);
  // A handler that yields is not reported.
  ASSERT_EQ(HttpGet(rig.nginx->port(), "/sleep?ms=200").status, 200);
  EXPECT_EQ(rig.daemon->CountLog("fiber 'GET /sleep'"), 0u);
}

// A worker killed with SIGKILL is respawned into the same slot: the counters
// it had carry on (monotonic), the slot counts two starts, and only the live
// process shows in spindle_worker_info.
TEST(ObserveE2E, ARespawnedWorkerKeepsCountingInItsSlot) {
  Rig rig(1);
  for (int i = 0; i < 3; ++i) ASSERT_EQ(HttpGet(rig.nginx->port(), "/hello").status, 200);
  ASSERT_TRUE(WaitUntil([&] { return rig.Metrics().Sum("spindle_requests_total") >= 3; }));
  std::vector<pid_t> pids = rig.daemon->WorkerPids();
  ASSERT_EQ(pids.size(), 1u);
  ASSERT_EQ(::kill(pids[0], SIGKILL), 0);
  ASSERT_TRUE(rig.daemon->WaitForLog("worker ready", std::chrono::seconds(10), 2))
      << rig.daemon->Log();
  for (int i = 0; i < 2; ++i) ASSERT_EQ(HttpGet(rig.nginx->port(), "/hello").status, 200);
  PromParse m;
  ASSERT_TRUE(WaitUntil([&] {
    m = rig.Metrics();
    return m.Sum("spindle_requests_total") >= 5;
  })) << m.Sum("spindle_requests_total");
  EXPECT_EQ(m.Value("spindle_requests_total",
                    {{"method", "GET"}, {"route", "/hello"}, {"code", "200"}}), 5);
  EXPECT_EQ(m.Sum("spindle_worker_starts_total"), 2);
  EXPECT_EQ(m.Sum("spindle_worker_info"), 1);
}

// After a SIGHUP reload the new generation counts in the other half of the
// region: the totals stay monotonic (old slot + new slot) and, once the old
// worker has drained and exited, one live worker remains.
TEST(ObserveE2E, CountersStayMonotonicAcrossAReload) {
  Rig rig(1);
  for (int i = 0; i < 3; ++i) ASSERT_EQ(HttpGet(rig.nginx->port(), "/hello").status, 200);
  ASSERT_TRUE(WaitUntil([&] { return rig.Metrics().Sum("spindle_requests_total") >= 3; }));
  ASSERT_EQ(::kill(rig.daemon->pid(), SIGHUP), 0);
  ASSERT_TRUE(rig.daemon->WaitForLog("reload done", std::chrono::seconds(15)))
      << rig.daemon->Log();
  for (int i = 0; i < 4; ++i) ASSERT_EQ(HttpGet(rig.nginx->port(), "/hello").status, 200);
  PromParse m;
  ASSERT_TRUE(WaitUntil([&] {
    m = rig.Metrics();
    return m.Sum("spindle_requests_total") >= 7 && m.Sum("spindle_worker_info") == 1;
  })) << m.Sum("spindle_requests_total") << " " << m.Sum("spindle_worker_info");
  EXPECT_EQ(m.Value("spindle_requests_total",
                    {{"method", "GET"}, {"route", "/hello"}, {"code", "200"}}), 7);
  EXPECT_EQ(m.Sum("spindle_worker_starts_total"), 2);
}

std::string AccessLine(const DaemonHarness& d) {
  for (const std::string& line : Lines(d.Log())) {
    if (line.find("access") != std::string::npos &&
        line.find("/hello?x=1") != std::string::npos) {
      return line;
    }
  }
  return {};
}

// Lines other than ASan/UBSan's own notes (prefixed "==pid==").
std::vector<std::string> DaemonLines(const DaemonHarness& d) {
  std::vector<std::string> out;
  for (std::string& line : Lines(d.Log())) {
    if (line.rfind("==", 0) != 0) out.push_back(std::move(line));
  }
  return out;
}

TEST(ObserveE2E, JournalFormatPrefixesThePriority) {
  Rig rig(1, "journal");
  ASSERT_EQ(HttpGet(rig.nginx->port(), "/hello?x=1").status, 200);
  ASSERT_TRUE(WaitUntil([&] { return !AccessLine(*rig.daemon).empty(); })) << rig.daemon->Log();
  std::string line = AccessLine(*rig.daemon);
  EXPECT_EQ(line.rfind("<6>access method=GET path=\"/hello?x=1\" status=200 bytes=6 ", 0), 0u)
      << line;
  EXPECT_NE(line.find(" duration_ms="), std::string::npos) << line;
  EXPECT_NE(line.find(" queue_wait_ms="), std::string::npos) << line;
  for (const std::string& l : DaemonLines(*rig.daemon)) {
    ASSERT_TRUE(l.size() > 3 && l[0] == '<' && l[2] == '>' && l[1] >= '0' && l[1] <= '7') << l;
  }
}

TEST(ObserveE2E, LogfmtFormatCarriesTheAccessFields) {
  Rig rig(1, "logfmt");
  ASSERT_EQ(HttpGet(rig.nginx->port(), "/hello?x=1").status, 200);
  ASSERT_TRUE(WaitUntil([&] { return !AccessLine(*rig.daemon).empty(); })) << rig.daemon->Log();
  std::string line = AccessLine(*rig.daemon);
  for (const char* field : {"level=info ", "logger=access ", "method=GET ",
                            "path=\"/hello?x=1\" ", "status=200 ", "bytes=6 ", "duration_ms=",
                            "queue_wait_ms="}) {
    EXPECT_NE(line.find(field), std::string::npos) << field << " in: " << line;
  }
  for (const std::string& l : DaemonLines(*rig.daemon)) {
    ASSERT_EQ(l.rfind("ts=", 0), 0u) << l;
    ASSERT_NE(l.find(" level="), std::string::npos) << l;
  }
}

TEST(ObserveE2E, JsonFormatGivesOneObjectPerLine) {
  Rig rig(1, "json");
  ASSERT_EQ(HttpGet(rig.nginx->port(), "/hello?x=1").status, 200);
  ASSERT_TRUE(WaitUntil([&] { return !AccessLine(*rig.daemon).empty(); })) << rig.daemon->Log();
  nlohmann::json a = nlohmann::json::parse(AccessLine(*rig.daemon));
  EXPECT_EQ(a["level"], "info");
  EXPECT_EQ(a["logger"], "access");
  EXPECT_EQ(a["method"], "GET");
  EXPECT_EQ(a["path"], "/hello?x=1");
  EXPECT_EQ(a["status"], 200);
  EXPECT_EQ(a["bytes"], 6);
  EXPECT_TRUE(a["duration_ms"].is_number());
  EXPECT_TRUE(a["queue_wait_ms"].is_number());
  EXPECT_TRUE(a["pid"].is_number_integer());
  bool saw_ready = false;
  for (const std::string& l : DaemonLines(*rig.daemon)) {
    nlohmann::json j = nlohmann::json::parse(l, nullptr, false);
    ASSERT_FALSE(j.is_discarded()) << "not JSON: " << l;
    ASSERT_TRUE(j.contains("ts") && j.contains("level") && j.contains("pid")) << l;
    // Access lines carry their fields instead of a message.
    ASSERT_TRUE(j.contains("msg") || j.value("logger", "") == "access") << l;
    if (j.value("msg", "").find("worker ready") != std::string::npos) saw_ready = true;
  }
  EXPECT_TRUE(saw_ready);
}

TEST(ObserveE2E, ConfigErrorsNameTheKeyLineAndColumn) {
  CheckResult bad_format = CheckSpindledConfig(
      "listen:\n  path: ${SOCK}\nlog:\n  format: xml\n");
  EXPECT_EQ(bad_format.exit_code, 1);
  EXPECT_NE(bad_format.output.find("spindled.yaml:4:11: key 'log.format': expected one of "
                                   "journal, logfmt, json"),
            std::string::npos)
      << bad_format.output;
  CheckResult public_admin = CheckSpindledConfig(
      "listen:\n  path: ${SOCK}\nadmin:\n  address: 10.1.2.3:9145\n");
  EXPECT_EQ(public_admin.exit_code, 1);
  EXPECT_NE(public_admin.output.find("spindled.yaml:4:12: key 'admin.address': must be a "
                                     "loopback address"),
            std::string::npos)
      << public_admin.output;
  CheckResult bad_access = CheckSpindledConfig(
      "listen:\n  path: ${SOCK}\nlog:\n  access_log: loud\n");
  EXPECT_EQ(bad_access.exit_code, 1);
  EXPECT_NE(bad_access.output.find("key 'log.access_log'"), std::string::npos)
      << bad_access.output;
  CheckResult unknown = CheckSpindledConfig(
      "listen:\n  path: ${SOCK}\nmetrics:\n  max_routes: 64\n  colour: red\n");
  EXPECT_EQ(unknown.exit_code, 1);
  EXPECT_NE(unknown.output.find("spindled.yaml:5:3: key 'metrics.colour': unknown key"),
            std::string::npos)
      << unknown.output;
  CheckResult good = CheckSpindledConfig(
      "listen:\n  path: ${SOCK}\nlog:\n  format: json\n  access_log: on\n"
      "metrics:\n  enabled: true\n  max_routes: 64\n"
      "admin:\n  address: 127.0.0.1:9145\n");
  EXPECT_EQ(good.exit_code, 0) << good.output;
}

}  // namespace
}  // namespace spindle::test
