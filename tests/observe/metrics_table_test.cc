// metrics_table_test.cc: observe/metrics_table.hpp is the one definition of
// every metric; these tests fail when the Prometheus text, the /status JSON
// or the metrics table of docs/observability.md disagree with it. Each scalar
// row gets its own value written straight into its shared-memory cell, so a
// row whose generated plumbing (cell, snapshot copy, sum over workers,
// rendering) is broken shows up as a wrong or missing number.
#include "observe/metrics_region.hpp"
#include "observe/metrics_table.hpp"
#include "observe/prometheus.hpp"
#include "observe/recorder.hpp"
#include "observe/snapshot.hpp"
#include "observe/status.hpp"

#include "prom_parser.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace spindle::test {
namespace {

using namespace spindle::observe;

using namespace std::chrono_literals;
using test::ParsePrometheus;
using test::PromParse;

constexpr unsigned kWorkers = 2;

// The value row `row` holds in worker `worker`'s slot.
uint64_t RowValue(size_t row, unsigned worker) { return (row + 1) * 100 + worker; }

struct ScalarRow {
  std::string field;
  std::string name;
  bool in_status;
};

std::vector<ScalarRow> ScalarRows() {
  std::vector<ScalarRow> rows;
#define SPINDLE_TEST_ROW(kind, field, name, in_status, help) rows.push_back({#field, name, in_status});
  SPINDLE_SCALAR_METRICS(SPINDLE_TEST_ROW)
#undef SPINDLE_TEST_ROW
  return rows;
}

template <MetricKind K>
void Put(SlotCell<K>& cell, uint64_t v) {
  if constexpr (K == MetricKind::kSampledCounter) {
    // Part from an earlier process of the slot, part from the current one.
    cell.base.store(v - 7);
    cell.current.store(7);
  } else {
    cell.store(static_cast<typename SlotCell<K>::value_type>(v));
  }
}

// A region whose two (alive: this process) workers hold RowValue in every
// scalar cell, and a request and a slow slice each, so that the structured
// families have samples too.
std::unique_ptr<MetricsRegion> FilledRegion() {
  std::string err;
  auto region = MetricsRegion::Create({kWorkers, 8}, &err);
  EXPECT_TRUE(region) << err;
  for (unsigned w = 0; w < kWorkers; ++w) {
    region->AttachWorker(w);
    Recorder rec(*region, w);
    uint32_t route = rec.RegisterRoute("GET", "/t");
    rec.OnRequestEnd(rec.OnRequestStart(route), {route, 200, 5, 3ms, 1ms});
    rec.OnSlowSlice("GET /t", 150ms);
    WorkerSlot& s = region->Slot(w);
    size_t row = 0;
#define SPINDLE_TEST_PUT(kind, field, name, in_status, help) \
  Put<MetricKind::kind>(s.field, RowValue(row++, w));
    SPINDLE_SCALAR_METRICS(SPINDLE_TEST_PUT)
#undef SPINDLE_TEST_PUT
  }
  return region;
}

std::set<std::string> DeclaredLabels(const MetricFamily& f) {
  std::set<std::string> out;
  std::stringstream in{std::string(f.labels)};
  for (std::string label; std::getline(in, label, ',');) {
    label.erase(0, label.find_first_not_of(' '));
    if (!label.empty()) out.insert(label);
  }
  return out;
}

// The families, in order, with their TYPE, HELP and label names.
void ExpectFamiliesAsDeclared(const PromParse& p, bool per_worker) {
  ASSERT_TRUE(p.ok()) << p.error;
  ASSERT_EQ(p.families.size(), kMetricFamilies.size());
  for (size_t i = 0; i < kMetricFamilies.size(); ++i) {
    const MetricFamily& want = kMetricFamilies[i];
    const test::PromFamily& got = p.families[i];
    EXPECT_EQ(got.name, want.name) << "family " << i;
    EXPECT_EQ(got.type, want.type) << want.name;
    EXPECT_EQ(got.help, want.help) << want.name;
    EXPECT_FALSE(got.samples.empty()) << want.name;
    std::set<std::string> labels = DeclaredLabels(want);
    if (per_worker) labels.insert("worker");
    for (const test::PromSample& sample : got.samples) {
      std::set<std::string> names;
      for (const auto& [k, v] : sample.labels) {
        if (k != "le") names.insert(k);
      }
      EXPECT_EQ(names, labels) << sample.name;
    }
  }
}

TEST(MetricsTable, PrometheusFamiliesAreTheTable) {
  auto region = FilledRegion();
  RegionSnapshot snap = TakeSnapshot(*region);
  ExpectFamiliesAsDeclared(ParsePrometheus(RenderPrometheus(snap)), false);
  ExpectFamiliesAsDeclared(ParsePrometheus(RenderPrometheus(snap, {.per_worker = true})), true);
}

TEST(MetricsTable, EveryScalarRowReachesItsSeries) {
  auto region = FilledRegion();
  RegionSnapshot snap = TakeSnapshot(*region);
  PromParse summed = ParsePrometheus(RenderPrometheus(snap));
  PromParse per = ParsePrometheus(RenderPrometheus(snap, {.per_worker = true}));
  ASSERT_TRUE(summed.ok()) << summed.error;
  ASSERT_TRUE(per.ok()) << per.error;
  std::vector<ScalarRow> rows = ScalarRows();
  for (size_t row = 0; row < rows.size(); ++row) {
    const std::string& name = rows[row].name;
    uint64_t sum = 0;
    for (unsigned w = 0; w < kWorkers; ++w) {
      sum += RowValue(row, w);
      EXPECT_EQ(per.Value(name, {{"worker", std::to_string(w)}}), RowValue(row, w)) << name;
    }
    EXPECT_EQ(summed.Value(name), sum) << name;
  }
}

TEST(MetricsTable, StatusCarriesTheRowsMarkedForIt) {
  auto region = FilledRegion();
  nlohmann::json status = StatusJson(TakeSnapshot(*region));
  std::vector<ScalarRow> rows = ScalarRows();
  for (unsigned w = 0; w < kWorkers; ++w) {
    const nlohmann::json& worker = status["workers"][w];
    for (size_t row = 0; row < rows.size(); ++row) {
      if (rows[row].in_status) {
        ASSERT_TRUE(worker.contains(rows[row].field)) << rows[row].field;
        EXPECT_EQ(worker[rows[row].field].get<uint64_t>(), RowValue(row, w)) << rows[row].field;
      } else {
        EXPECT_FALSE(worker.contains(rows[row].field)) << rows[row].field;
      }
    }
  }
}

// A gone process's gauges read 0 and its counters stay; a new process of
// the slot restarts the gauges and carries the counters on.
TEST(MetricsTable, KindsDecideWhatSurvivesARespawn) {
  auto region = FilledRegion();
  region->AttachWorker(0);  // a "new process" in slot 0
  RegionSnapshot snap = TakeSnapshot(*region);
  PromParse per = ParsePrometheus(RenderPrometheus(snap, {.per_worker = true}));
  ASSERT_TRUE(per.ok()) << per.error;
  size_t row = 0;
#define SPINDLE_TEST_KIND(kind, field, name, in_status, help)                         \
  EXPECT_EQ(per.Value(name, {{"worker", "0"}}),                                       \
            MetricKind::kind == MetricKind::kCounter ||                               \
                    MetricKind::kind == MetricKind::kSampledCounter                   \
                ? RowValue(row, 0)                                                    \
                : 0)                                                                  \
      << name;                                                                        \
  ++row;
  SPINDLE_SCALAR_METRICS(SPINDLE_TEST_KIND)
#undef SPINDLE_TEST_KIND
  // The sampled counters' old samples went to the base: a new sample adds.
  region->Slot(0).redis_commands.current.store(3);
  EXPECT_EQ(TakeSnapshot(*region).workers[0].redis_commands,
            region->Slot(0).redis_commands.base.load() + 3);
}

// The metrics table of docs/observability.md: one row per family, with the
// same type and labels (its meaning column is prose, not checked).
TEST(MetricsTable, DocsListEveryFamily) {
  std::ifstream in(SPINDLE_DOCS_DIR "/observability.md");
  ASSERT_TRUE(in) << SPINDLE_DOCS_DIR "/observability.md";
  std::map<std::string, std::pair<std::string, std::string>> documented;
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("| `spindle_", 0) != 0) continue;
    std::vector<std::string> cells;
    std::stringstream row(line.substr(1));
    for (std::string cell; std::getline(row, cell, '|');) {
      cell.erase(0, cell.find_first_not_of(' '));
      cell.erase(cell.find_last_not_of(' ') + 1);
      cells.push_back(cell);
    }
    ASSERT_GE(cells.size(), 3u) << line;
    std::string name = cells[0].substr(1, cells[0].size() - 2);  // strip the backticks
    EXPECT_TRUE(documented.emplace(name, std::pair{cells[1], cells[2]}).second) << "twice: " << name;
  }
  for (const MetricFamily& f : kMetricFamilies) {
    auto it = documented.find(std::string(f.name));
    if (it == documented.end()) {
      ADD_FAILURE() << "docs/observability.md has no row for " << f.name << "; add:\n| `"
                    << f.name << "` | " << f.type << " |" << (f.labels.empty() ? "" : " ")
                    << f.labels << " | ... |";
      continue;
    }
    EXPECT_EQ(it->second.first, f.type) << f.name;
    EXPECT_EQ(it->second.second, f.labels) << f.name;
    documented.erase(it);
  }
  for (const auto& [name, row] : documented) {
    ADD_FAILURE() << "docs/observability.md documents " << name << ", which metrics_table.hpp lacks";
  }
}

}  // namespace
}  // namespace spindle::test
