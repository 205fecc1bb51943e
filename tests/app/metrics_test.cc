// metrics_test.cc: the app metrics API (<spindle/metrics.hpp>) on a real
// shared metrics region created and attached the way spindled's master and
// workers do it (observe::CreateRegion, observe::AttachWorker): recording
// into this worker's slot, idempotent registration, hostile names and help
// texts refused, the full table, handles outside a worker, threads of one
// worker, and a second worker process whose numbers are summed.
#include <spindle/metrics.hpp>

#include "observe/observe.hpp"
#include "observe/prometheus.hpp"
#include "observe/snapshot.hpp"

#include "prom_parser.hpp"

#include <gtest/gtest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace spindle::test {
namespace {

using namespace std::chrono_literals;

class AppMetrics : public ::testing::Test {
 protected:
  void SetUp() override { Fresh(4, 8); }

  // A new region (the old one is unmapped) with this process in slot 0.
  static void Fresh(unsigned workers, unsigned app_metrics) {
    std::string err;
    ASSERT_TRUE(observe::CreateRegion({workers, 16, app_metrics}, &err)) << err;
    ASSERT_TRUE(observe::AttachWorker(0));
  }

  static observe::RegionSnapshot Snap() { return observe::TakeSnapshot(*observe::Region()); }

  static PromParse Prometheus(bool per_worker = false) {
    std::string text = observe::RenderPrometheus(Snap(), {.per_worker = per_worker});
    PromParse p = ParsePrometheus(text);
    EXPECT_TRUE(p.ok()) << p.error << "\n" << text;
    return p;
  }

  static uint32_t Registered() { return observe::Region()->app_metric_count(); }
};

TEST_F(AppMetrics, RecordsIntoThisWorkersSlot) {
  Counter logins = metrics::counter("myapp_logins_total", "Logins.");
  Gauge rooms = metrics::gauge("myapp_rooms_open", "Rooms open.");
  Histogram render = metrics::histogram("myapp_render_seconds", "Render time.");
  ASSERT_TRUE(logins.recording() && rooms.recording() && render.recording());
  logins.inc();
  logins.add(41);
  rooms.set(10);
  rooms.add(-3);
  rooms.inc();
  rooms.dec();
  rooms.dec();
  render.observe(0.0005);                                    // le 0.001
  render.observe(2ms);                                       // le 0.0025
  render.observe(std::chrono::duration<double>(0.01));       // le 0.01
  render.observe_us(1000);                                   // le 0.001 (bounds are inclusive)
  render.observe(-1.0);                                      // counts as 0
  render.observe(std::nan(""));                              // counts as 0
  render.observe(-5ms);                                      // counts as 0
  render.observe(20s);                                       // +Inf
  render.observe(std::numeric_limits<double>::infinity());  // +Inf, clamped
  render.observe(std::chrono::hours::max());                 // +Inf, no overflow
  render.observe(std::chrono::duration<double>(std::nan("")));  // counts as 0

  PromParse p = Prometheus();
  EXPECT_EQ(p.Value("myapp_logins_total"), 42);
  EXPECT_EQ(p.Value("myapp_rooms_open"), 6);
  EXPECT_EQ(p.Family("myapp_render_seconds")->type, "histogram");
  EXPECT_EQ(p.Family("myapp_render_seconds")->help, "Render time.");
  EXPECT_EQ(p.Value("myapp_render_seconds_count"), 11);
  EXPECT_EQ(p.Value("myapp_render_seconds_bucket", {{"le", "0.001"}}), 6);
  EXPECT_EQ(p.Value("myapp_render_seconds_bucket", {{"le", "0.0025"}}), 7);
  EXPECT_EQ(p.Value("myapp_render_seconds_bucket", {{"le", "0.01"}}), 8);
  EXPECT_EQ(p.Value("myapp_render_seconds_bucket", {{"le", "10"}}), 8);
  EXPECT_EQ(p.Value("myapp_render_seconds_bucket", {{"le", "+Inf"}}), 11);
  // The clamp keeps absurd values from wrapping the sum: 2 x 1e15 us.
  EXPECT_NEAR(*p.Value("myapp_render_seconds_sum"), 2e9 + 20 + 0.0135, 1e-3);
  // The per-worker view has them under worker="0".
  EXPECT_EQ(Prometheus(true).Value("myapp_logins_total", {{"worker", "0"}}), 42);
}

TEST_F(AppMetrics, RegistrationIsIdempotentByNameKindAndHelp) {
  Counter a = metrics::counter("jobs_total", "Jobs.");
  Counter b = metrics::counter("jobs_total", "Jobs.");  // what a second worker's init does
  a.inc();
  b.add(2);
  EXPECT_EQ(Registered(), 1u);
  EXPECT_EQ(Prometheus().Value("jobs_total"), 3);
  try {
    metrics::gauge("jobs_total", "Jobs.");
    ADD_FAILURE() << "a second kind was accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("already registered as a counter"), std::string::npos)
        << e.what();
  }
  try {
    metrics::counter("jobs_total", "Other jobs.");
    ADD_FAILURE() << "another help text was accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("'Jobs.'"), std::string::npos) << e.what();
  }
  metrics::histogram("latency", "Latency.");
  EXPECT_THROW(metrics::gauge("latency_count", "Count."), std::invalid_argument);
  metrics::gauge("wait_sum", "A gauge first.");
  EXPECT_THROW(metrics::histogram("wait", "Its _sum is taken."), std::invalid_argument);
  EXPECT_EQ(Registered(), 3u);
}

TEST_F(AppMetrics, RefusesHostileNamesAndHelpTexts) {
  const std::vector<std::string> bad_names = {
      "",
      "1abc",
      "a-b",
      "a b",
      "a.b",
      "caf\xc3\xa9",
      std::string("a\0b", 3),
      "a\nb",
      "x{le=\"1\"}",
      "x\"",
      std::string(128, 'n'),
      "spindle_requests_total",  // a built-in
      "spindle_mine",            // the reserved prefix
  };
  for (const std::string& name : bad_names) {
    EXPECT_THROW(metrics::gauge(name, "Help."), std::invalid_argument) << name;
    EXPECT_THROW(metrics::histogram(name, "Help."), std::invalid_argument) << name;
  }
  EXPECT_THROW(metrics::counter("logins", "No _total."), std::invalid_argument);
  EXPECT_THROW(metrics::counter("total", "No _total."), std::invalid_argument);
  const std::vector<std::string> bad_help = {
      "", std::string(256, 'h'), "two\nlines", std::string("nul\0", 4), "tab\there", "del\x7f",
  };
  for (const std::string& help : bad_help) {
    EXPECT_THROW(metrics::gauge("g", help), std::invalid_argument) << help;
  }
  EXPECT_EQ(Registered(), 0u);  // nothing refused took an entry

  // The edges that are valid.
  EXPECT_TRUE(metrics::gauge(std::string(127, 'n'), std::string(255, 'h')).recording());
  EXPECT_TRUE(metrics::gauge("ns:sub:x", "Colons.").recording());
  EXPECT_TRUE(metrics::gauge("_x9", "Underscore first.").recording());
  EXPECT_TRUE(metrics::counter("_total", "Just the suffix.").recording());
  EXPECT_TRUE(metrics::gauge("Spindle_is_not_reserved", "Case matters.").recording());
  EXPECT_TRUE(metrics::gauge("help_utf8", "Caf\xc3\xa9 \\ \"quoted\"").recording());
  PromParse p = Prometheus();
  EXPECT_NE(p.Family("ns:sub:x"), nullptr);
  EXPECT_EQ(p.Family("help_utf8")->help, "Caf\xc3\xa9 \\\\ \"quoted\"");  // as escaped
}

TEST_F(AppMetrics, FullTableThrowsLengthErrorNamingTheKey) {
  Fresh(1, 2);
  metrics::counter("a_total", "A.");
  metrics::gauge("b", "B.");
  try {
    metrics::histogram("c", "C.");
    ADD_FAILURE() << "a third metric fit in a table of two";
  } catch (const std::length_error& e) {
    EXPECT_NE(std::string(e.what()).find("metrics.max_app_metrics"), std::string::npos)
        << e.what();
  }
  // Those already registered are still found.
  EXPECT_TRUE(metrics::gauge("b", "B.").recording());

  Fresh(1, 0);
  EXPECT_THROW(metrics::gauge("b", "B."), std::length_error);
}

// No slot (metrics.enabled: false, a tool, a unit test of app code): the
// arguments are still checked, the handles record nothing and are safe.
TEST_F(AppMetrics, OutsideAWorkerHandlesRecordNothing) {
  ASSERT_FALSE(observe::AttachWorker(1000000));  // no slot for this process now
  Counter c = metrics::counter("x_total", "X.");
  Gauge g = metrics::gauge("g", "G.");
  Histogram h = metrics::histogram("h", "H.");
  EXPECT_FALSE(c.recording() || g.recording() || h.recording());
  c.inc();
  g.set(3);
  h.observe(1.0);
  EXPECT_THROW(metrics::counter("x", "No _total."), std::invalid_argument);
  EXPECT_EQ(Registered(), 0u);
  Counter none;
  none.add(5);
  Gauge{}.dec();
  Histogram{}.observe(1ms);
  EXPECT_FALSE(none.recording());
}

// Handles are shared by every fiber and thread (offload) of the worker; the
// relaxed atomic adds lose nothing.
TEST_F(AppMetrics, ThreadsOfOneWorkerCountExactly) {
  Counter c = metrics::counter("hits_total", "Hits.");
  Histogram h = metrics::histogram("hit_seconds", "Hit time.");
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([c, h] {  // copies of the handles
      for (int i = 0; i < 20000; ++i) {
        c.inc();
        h.observe_us(static_cast<uint64_t>(i % 3) * 4000);
      }
    });
  }
  for (std::thread& t : threads) t.join();
  PromParse p = Prometheus();
  EXPECT_EQ(p.Value("hits_total"), 80000);
  EXPECT_EQ(p.Value("hit_seconds_count"), 80000);
}

// A second worker process registers the same metrics after the fork (as each
// worker's app init does) and records in its own slot; the parent's scrape
// sums both, and the gone process's gauge reads 0.
TEST_F(AppMetrics, SecondWorkerProcessIsSummed) {
  Counter c = metrics::counter("orders_total", "Orders.");
  Gauge g = metrics::gauge("orders_open", "Orders open.");
  c.add(5);
  g.set(2);
  pid_t pid = fork();
  if (pid == 0) {
    bool ok = observe::AttachWorker(1);
    Counter c1 = metrics::counter("orders_total", "Orders.");
    Gauge g1 = metrics::gauge("orders_open", "Orders open.");
    Histogram h1 = metrics::histogram("order_seconds", "Order time.");
    c1.add(7);
    g1.set(40);
    h1.observe(0.2);
    _exit(ok && c1.recording() ? 0 : 1);
  }
  ASSERT_GT(pid, 0);
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  PromParse p = Prometheus();
  EXPECT_EQ(p.Value("orders_total"), 12);
  EXPECT_EQ(p.Value("orders_open"), 2);  // the child's 40 went with it
  EXPECT_EQ(p.Value("order_seconds_count"), 1);
  EXPECT_EQ(p.Value("order_seconds_bucket", {{"le", "0.25"}}), 1);
  PromParse per = Prometheus(true);
  EXPECT_EQ(per.Value("orders_total", {{"worker", "0"}}), 5);
  EXPECT_EQ(per.Value("orders_total", {{"worker", "1"}}), 7);
  // The parent registers the child's histogram: same index, its own cell.
  Histogram h = metrics::histogram("order_seconds", "Order time.");
  h.observe(0.2);
  EXPECT_EQ(Prometheus().Value("order_seconds_count"), 2);
  EXPECT_EQ(Registered(), 3u);
}

}  // namespace
}  // namespace spindle::test
