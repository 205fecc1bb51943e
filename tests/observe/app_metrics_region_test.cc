// app_metrics_region_test.cc: the app-metric table and cells of the shared
// metrics region (observe/metrics_region.hpp), across real forked processes:
// registration is idempotent by name, kind and help, refuses conflicts and
// ambiguous histogram series, stops at capacity; two children registering in
// opposite orders agree on every index; counters and histograms survive a
// respawn of the slot, gauges restart; the Prometheus text parses strictly,
// summed and per worker, with hostile help texts escaped.
#include "observe/metrics_region.hpp"
#include "observe/prometheus.hpp"
#include "observe/snapshot.hpp"

#include "prom_parser.hpp"

#include <gtest/gtest.h>

#include "run_child.hpp"

#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <functional>
#include <string>
#include <thread>

namespace spindle::test {
namespace {

using namespace spindle::observe;
using namespace std::chrono_literals;

using Claim = AppMetricClaim;

std::unique_ptr<MetricsRegion> NewRegion(unsigned workers = 2, unsigned app_metrics = 8) {
  std::string err;
  auto r = MetricsRegion::Create({workers, 16, app_metrics}, &err);
  EXPECT_TRUE(r) << err;
  return r;
}


uint32_t MustRegister(MetricsRegion& r, AppMetricKind kind, std::string_view name,
                      std::string_view help = "Help.") {
  Claim c = r.RegisterAppMetric(kind, name, help);
  EXPECT_EQ(c.status, Claim::kOk) << name;
  return c.index;
}

TEST(AppMetricsRegion, RegistrationIsIdempotentAndRefusesConflicts) {
  auto region = NewRegion();
  EXPECT_EQ(region->app_metric_count(), 0u);
  uint32_t a = MustRegister(*region, AppMetricKind::kCounter, "a_total");
  uint32_t g = MustRegister(*region, AppMetricKind::kGauge, "g");
  EXPECT_EQ(a, 0u);
  EXPECT_EQ(g, 1u);
  EXPECT_EQ(MustRegister(*region, AppMetricKind::kCounter, "a_total"), a);
  EXPECT_EQ(region->app_metric_count(), 2u);
  EXPECT_EQ(region->AppMetricName(g), "g");
  EXPECT_EQ(region->AppMetricHelp(g), "Help.");
  EXPECT_EQ(region->AppMetricKindAt(g), AppMetricKind::kGauge);
  EXPECT_EQ(region->AppMetricKindAt(7), AppMetricKind{});  // not claimed
  EXPECT_EQ(region->AppMetricKindAt(1000), AppMetricKind{});  // beyond the table

  Claim kind = region->RegisterAppMetric(AppMetricKind::kGauge, "a_total", "Help.");
  EXPECT_EQ(kind.status, Claim::kKindMismatch);
  EXPECT_EQ(kind.index, a);
  Claim help = region->RegisterAppMetric(AppMetricKind::kCounter, "a_total", "Other.");
  EXPECT_EQ(help.status, Claim::kHelpMismatch);
  // A refused registration claims nothing.
  EXPECT_EQ(region->app_metric_count(), 2u);
}

TEST(AppMetricsRegion, HistogramSeriesMayNotBeAnotherMetricsName) {
  auto region = NewRegion();
  MustRegister(*region, AppMetricKind::kHistogram, "h");
  for (const char* series : {"h_bucket", "h_sum", "h_count"}) {
    EXPECT_EQ(region->RegisterAppMetric(AppMetricKind::kGauge, series, "x").status,
              Claim::kSeriesClash)
        << series;
  }
  // Names that merely share the prefix are fine.
  MustRegister(*region, AppMetricKind::kGauge, "h_counts");
  MustRegister(*region, AppMetricKind::kGauge, "h_");
  // The other way round: a histogram whose series an existing name is.
  MustRegister(*region, AppMetricKind::kCounter, "x_total");
  MustRegister(*region, AppMetricKind::kGauge, "y_sum");
  EXPECT_EQ(region->RegisterAppMetric(AppMetricKind::kHistogram, "y", "x").status,
            Claim::kSeriesClash);
  EXPECT_EQ(region->RegisterAppMetric(AppMetricKind::kHistogram, "x_total", "x").status,
            Claim::kKindMismatch);
}

TEST(AppMetricsRegion, FullTableAndOversizedFieldsAreRefused) {
  auto region = NewRegion(1, 2);
  MustRegister(*region, AppMetricKind::kGauge, "one");
  MustRegister(*region, AppMetricKind::kGauge, "two");
  EXPECT_EQ(region->RegisterAppMetric(AppMetricKind::kGauge, "three", "x").status, Claim::kFull);
  // Already there: still found when the table is full.
  EXPECT_EQ(region->RegisterAppMetric(AppMetricKind::kGauge, "two", "Help.").status, Claim::kOk);

  auto other = NewRegion(1, 4);
  EXPECT_EQ(other->RegisterAppMetric(AppMetricKind::kGauge, "", "x").status, Claim::kTooLong);
  std::string name(kAppMetricNameMax - 1, 'n');
  EXPECT_EQ(other->RegisterAppMetric(AppMetricKind::kGauge, name, "x").status, Claim::kOk);
  EXPECT_EQ(other->RegisterAppMetric(AppMetricKind::kGauge, name + "n", "x").status,
            Claim::kTooLong);
  std::string help(kAppMetricHelpMax, 'h');
  EXPECT_EQ(other->RegisterAppMetric(AppMetricKind::kGauge, "h", help).status, Claim::kTooLong);
  help.pop_back();
  EXPECT_EQ(other->RegisterAppMetric(AppMetricKind::kGauge, "h", help).status, Claim::kOk);
  EXPECT_EQ(other->AppMetricHelp(1), help);

  auto none = NewRegion(1, 0);
  ASSERT_TRUE(none);
  EXPECT_EQ(none->RegisterAppMetric(AppMetricKind::kGauge, "g", "x").status, Claim::kFull);
  std::string err;
  EXPECT_FALSE(MetricsRegion::Create({1, 16, 4097}, &err));
  EXPECT_NE(err.find("max_app_metrics"), std::string::npos) << err;
}

// Two worker processes register the same three metrics in opposite orders
// and record into their own slots; the parent sees one index per name and
// exact sums, in the snapshot and through the Prometheus text.
TEST(AppMetricsRegion, TwoForkedWorkersAgreeOnIndexesAndSum) {
  auto region = NewRegion(2);
  auto child = [&region](unsigned slot, bool reverse, int n) {
    return [&region, slot, reverse, n] {
      region->AttachWorker(slot);
      uint32_t c, g, h;
      if (reverse) {
        h = MustRegister(*region, AppMetricKind::kHistogram, "app_render_seconds");
        g = MustRegister(*region, AppMetricKind::kGauge, "app_rooms_open");
        c = MustRegister(*region, AppMetricKind::kCounter, "app_logins_total");
      } else {
        c = MustRegister(*region, AppMetricKind::kCounter, "app_logins_total");
        g = MustRegister(*region, AppMetricKind::kGauge, "app_rooms_open");
        h = MustRegister(*region, AppMetricKind::kHistogram, "app_render_seconds");
      }
      for (int i = 0; i < n; ++i) {
        region->AppCounter(slot, c).fetch_add(2);
        region->AppGauge(slot, g).fetch_add(1);
        region->AppHistogram(slot, h).Record(i % 2 ? 700 : 30000);  // le 0.001 / le 0.05
      }
      // Stay alive until the parent has looked at the gauges.
      pause();
    };
  };
  // The children stay alive (pause) until this guard kills them, so their
  // gauges count; it also reaps them when an assertion returns early.
  struct Kids {
    pid_t pid[2] = {-1, -1};
    void KillAll() {
      for (pid_t& k : pid) {
        if (k > 0) {
          kill(k, SIGKILL);
          waitpid(k, nullptr, 0);
        }
        k = -1;
      }
    }
    ~Kids() { KillAll(); }
  } kids;
  for (unsigned slot = 0; slot < 2; ++slot) {
    kids.pid[slot] = fork();
    if (kids.pid[slot] == 0) {
      prctl(PR_SET_PDEATHSIG, SIGKILL);  // never outlive a crashed test
      child(slot, slot == 1, slot == 0 ? 10 : 30)();
      _exit(0);
    }
    ASSERT_GT(kids.pid[slot], 0);
  }
  // Wait (bounded) until both children have recorded everything.
  auto done = [](const RegionSnapshot& s) {
    if (s.workers.size() != 2 || s.app_metrics.size() != 3) return false;
    WorkerSnapshot t = s.Total();
    uint64_t counted = 0, observed = 0;
    int64_t open = 0;
    for (size_t i = 0; i < 3; ++i) {
      counted += t.app_metrics[i].counter;
      open += t.app_metrics[i].gauge;
      observed += t.app_metrics[i].histogram.Count();
    }
    return counted == 80 && open == 40 && observed == 40;
  };
  RegionSnapshot snap;
  for (int i = 0; i < 1000 && !done(snap = TakeSnapshot(*region)); ++i) {
    std::this_thread::sleep_for(10ms);
  }
  // Which name got which index depends on who won each race; look them up.
  ASSERT_EQ(snap.app_metrics.size(), 3u);
  auto index_of = [&](const std::string& name) {
    for (size_t i = 0; i < snap.app_metrics.size(); ++i) {
      if (snap.app_metrics[i].name == name) return i;
    }
    ADD_FAILURE() << name;
    return size_t{0};
  };
  const size_t c = index_of("app_logins_total"), g = index_of("app_rooms_open"),
               h = index_of("app_render_seconds");
  EXPECT_EQ(snap.app_metrics[h].kind, AppMetricKind::kHistogram);
  WorkerSnapshot t = snap.Total();
  EXPECT_EQ(t.app_metrics[c].counter, 80u);
  EXPECT_EQ(t.app_metrics[g].gauge, 40);
  EXPECT_EQ(t.app_metrics[h].histogram.Count(), 40u);
  EXPECT_EQ(t.app_metrics[h].histogram.buckets[0], 20u);
  EXPECT_EQ(t.app_metrics[h].histogram.buckets[5], 20u);
  EXPECT_EQ(t.app_metrics[h].histogram.sum_us, 20u * 700 + 20u * 30000);

  auto summed = ParsePrometheus(RenderPrometheus(snap));
  ASSERT_TRUE(summed.ok()) << summed.error;
  ASSERT_NE(summed.Family("app_logins_total"), nullptr);
  EXPECT_EQ(summed.Family("app_logins_total")->type, "counter");
  EXPECT_EQ(summed.Family("app_rooms_open")->type, "gauge");
  EXPECT_EQ(summed.Family("app_render_seconds")->type, "histogram");
  EXPECT_EQ(summed.Family("app_render_seconds")->help, "Help.");
  EXPECT_EQ(summed.Value("app_logins_total"), 80);
  EXPECT_EQ(summed.Value("app_rooms_open"), 40);
  EXPECT_EQ(summed.Value("app_render_seconds_count"), 40);
  EXPECT_EQ(summed.Value("app_render_seconds_bucket", {{"le", "0.001"}}), 20);
  EXPECT_EQ(summed.Value("app_render_seconds_bucket", {{"le", "0.025"}}), 20);
  EXPECT_EQ(summed.Value("app_render_seconds_bucket", {{"le", "0.05"}}), 40);
  EXPECT_DOUBLE_EQ(*summed.Value("app_render_seconds_sum"), 0.614);
  auto per = ParsePrometheus(RenderPrometheus(snap, {.per_worker = true}));
  ASSERT_TRUE(per.ok()) << per.error;
  EXPECT_EQ(per.Value("app_logins_total", {{"worker", "0"}}), 20);
  EXPECT_EQ(per.Value("app_logins_total", {{"worker", "1"}}), 60);
  EXPECT_EQ(per.Value("app_rooms_open", {{"worker", "1"}}), 30);
  EXPECT_EQ(per.Value("app_render_seconds_count", {{"worker", "0"}}), 10);

  kids.KillAll();
  // Gone: the gauges read 0, the counters and histograms stay in the sums.
  t = TakeSnapshot(*region).Total();
  EXPECT_EQ(t.app_metrics[g].gauge, 0);
  EXPECT_EQ(t.app_metrics[c].counter, 80u);
  EXPECT_EQ(t.app_metrics[h].histogram.Count(), 40u);
}

TEST(AppMetricsRegion, RespawnKeepsCountersAndHistogramsAndRestartsGauges) {
  auto region = NewRegion(1);
  auto life = [&region](uint64_t count, int64_t gauge) {
    return [&region, count, gauge] {
      region->AttachWorker(0);
      uint32_t c = MustRegister(*region, AppMetricKind::kCounter, "jobs_total");
      uint32_t g = MustRegister(*region, AppMetricKind::kGauge, "jobs_running");
      uint32_t h = MustRegister(*region, AppMetricKind::kHistogram, "job_seconds");
      // What the previous process left is gone for the gauge only.
      EXPECT_EQ(region->AppGauge(0, g).load(), 0);
      region->AppCounter(0, c).fetch_add(count);
      region->AppGauge(0, g).store(gauge);
      region->AppHistogram(0, h).Record(2'000'000);
    };
  };
  ASSERT_EQ(RunChild(life(5, 7)), 0);
  ASSERT_EQ(region->AppGauge(0, 1).load(), 7);  // left behind by the dead process
  ASSERT_EQ(RunChild(life(3, 2)), 0);
  RegionSnapshot snap = TakeSnapshot(*region);
  ASSERT_EQ(snap.workers.size(), 1u);
  EXPECT_EQ(snap.workers[0].starts, 2u);
  EXPECT_EQ(snap.workers[0].app_metrics[0].counter, 8u);
  EXPECT_EQ(snap.workers[0].app_metrics[1].gauge, 0);  // dead process: reads 0
  EXPECT_EQ(region->AppGauge(0, 1).load(), 2);         // the second one's value
  EXPECT_EQ(snap.workers[0].app_metrics[2].histogram.Count(), 2u);
  EXPECT_EQ(snap.workers[0].app_metrics[2].histogram.buckets[10], 2u);  // le 2.5
}

// Help texts are the app's: backslashes and newlines must be escaped so the
// exposition stays parseable; names with colons are valid Prometheus names.
TEST(AppMetricsRegion, HostileHelpIsEscapedAndParses) {
  auto region = NewRegion(1);
  region->AttachWorker(0);
  const std::string help = "Line one\nline two \\ \"quoted\" # not a comment";
  uint32_t g = MustRegister(*region, AppMetricKind::kGauge, "ns:weird_gauge", help);
  region->AppGauge(0, g).store(-5);
  std::string text = RenderPrometheus(TakeSnapshot(*region));
  auto p = ParsePrometheus(text);
  ASSERT_TRUE(p.ok()) << p.error << "\n" << text;
  ASSERT_NE(p.Family("ns:weird_gauge"), nullptr);
  // The parser keeps the text as written: escaped, on one line.
  EXPECT_EQ(p.Family("ns:weird_gauge")->help,
            "Line one\\nline two \\\\ \"quoted\" # not a comment");
  EXPECT_EQ(p.Value("ns:weird_gauge"), -5);
  // The app families come after every built-in one.
  EXPECT_EQ(p.families.back().name, "ns:weird_gauge");
}

}  // namespace
}  // namespace spindle::test
