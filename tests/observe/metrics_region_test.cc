// metrics_region_test.cc: the shared metrics region across real forked
// processes: counters recorded by two children sum exactly in the parent, a
// respawned worker keeps counting in its slot (monotonic) while its gauges
// restart, route indexes agree across processes whatever the registration
// order, and the Prometheus rendering parses strictly with matching values.
#include "observe/metrics_region.hpp"
#include "observe/prometheus.hpp"
#include "observe/recorder.hpp"
#include "observe/snapshot.hpp"
#include "observe/status.hpp"

#include "prom_parser.hpp"

#include <gtest/gtest.h>

#include "run_child.hpp"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <functional>
#include <thread>

namespace spindle::test {
namespace {

using namespace spindle::observe;

using namespace std::chrono_literals;
using test::ParsePrometheus;

std::unique_ptr<MetricsRegion> NewRegion(unsigned workers = 4, unsigned routes = 16) {
  std::string err;
  auto r = MetricsRegion::Create({workers, routes}, &err);
  EXPECT_TRUE(r) << err;
  return r;
}


void Record(Recorder& rec, uint32_t route, int status, uint64_t bytes,
            std::chrono::microseconds dur, std::chrono::microseconds wait = 0us) {
  RequestToken t = rec.OnRequestStart(route);
  rec.OnRequestEnd(t, {route, status, bytes, dur, wait});
}

TEST(MetricsRegion, StatusBucketsAndReservedRoutes) {
  auto region = NewRegion();
  EXPECT_EQ(StatusBucket(200), 0u);
  EXPECT_EQ(StatusBucket(503), kStatusCodes.size() - 2);
  EXPECT_EQ(StatusBucket(418), kStatusOther);
  EXPECT_EQ(region->route_count(), 2u);
  EXPECT_EQ(region->RouteLabel(kRouteNone), "(none)");
  EXPECT_EQ(region->RouteLabel(kRouteOverflow), "(other)");
  uint32_t a = region->RegisterRoute("GET", "/a");
  EXPECT_EQ(a, 2u);
  EXPECT_EQ(region->RegisterRoute("GET", "/a"), a);  // idempotent
  EXPECT_NE(region->RegisterRoute("POST", "/a"), a);
  EXPECT_EQ(region->FindRoute("GET /a"), a);
  EXPECT_EQ(region->FindRoute("/a"), a);
  EXPECT_EQ(region->FindRoute("GET /nope"), kRouteNone);
}

TEST(MetricsRegion, FullRouteTableOverflowsIntoOther) {
  auto region = NewRegion(1, 4);  // two reserved + two real
  EXPECT_EQ(region->RegisterRoute("GET", "/1"), 2u);
  EXPECT_EQ(region->RegisterRoute("GET", "/2"), 3u);
  EXPECT_EQ(region->RegisterRoute("GET", "/3"), kRouteOverflow);
}

TEST(MetricsRegion, RejectsBadOptions) {
  std::string err;
  EXPECT_FALSE(MetricsRegion::Create({0, 16}, &err));
  EXPECT_FALSE(err.empty());
  EXPECT_FALSE(MetricsRegion::Create({1, 2}, &err));
}

TEST(MetricsRegion, TwoForkedWorkersSumExactly) {
  auto region = NewRegion();
  // The children register the same routes in opposite orders: the shared
  // table must still give both the same index per route.
  auto child = [&](unsigned slot, bool reverse, int n) {
    return [&region, slot, reverse, n] {
      region->AttachWorker(slot);
      Recorder rec(*region, slot);
      uint32_t a, b;
      if (reverse) {
        b = rec.RegisterRoute("POST", "/b/{id}");
        a = rec.RegisterRoute("GET", "/a");
      } else {
        a = rec.RegisterRoute("GET", "/a");
        b = rec.RegisterRoute("POST", "/b/{id}");
      }
      for (int i = 0; i < n; ++i) {
        Record(rec, a, 200, 10, 500us);      // <= 1 ms bucket
        Record(rec, b, 503, 5, 30ms, 20ms);  // <= 50 ms bucket, waited 20 ms
        Record(rec, b, 418, 0, 20s);         // "other" code, +Inf bucket
        Record(rec, kRouteNone, 404, 9, 2ms);
      }
      rec.OnAccept();
      rec.OnAccept();
      rec.OnConnectionClosed();
      rec.OnSlowSlice("POST /b/{id}", 200ms);
      rec.UpdateGauges({.queue_depth = 3, .fibers_alive = 7, .stack_bytes = 65536, .offload_queue = 1});
    };
  };
  ASSERT_EQ(RunChild(child(0, false, 100)), 0);
  ASSERT_EQ(RunChild(child(1, true, 250)), 0);

  const uint32_t a = region->FindRoute("GET /a"), b = region->FindRoute("POST /b/{id}");
  ASSERT_NE(a, kRouteNone);
  ASSERT_NE(b, kRouteNone);
  RegionSnapshot snap = TakeSnapshot(*region);
  ASSERT_EQ(snap.workers.size(), 2u);
  WorkerSnapshot t = snap.Total();
  EXPECT_EQ(t.RequestCount(a, StatusBucket(200)), 350u);
  EXPECT_EQ(t.RequestCount(b, StatusBucket(503)), 350u);
  EXPECT_EQ(t.RequestCount(b, kStatusOther), 350u);
  EXPECT_EQ(t.RequestCount(kRouteNone, StatusBucket(404)), 350u);
  EXPECT_EQ(t.latency.Count(), 1400u);
  EXPECT_EQ(t.latency.buckets[0], 350u);                        // le 0.001
  EXPECT_EQ(t.latency.buckets[1], 350u);                        // le 0.0025 (2 ms)
  EXPECT_EQ(t.latency.buckets[5], 350u);                        // le 0.05 (30 ms)
  EXPECT_EQ(t.latency.buckets[kBucketSlots - 1], 350u);         // +Inf (20 s)
  EXPECT_EQ(t.queue_wait.buckets[4], 350u);                     // le 0.025 (20 ms)
  EXPECT_EQ(t.response_bytes, 350u * 24);
  EXPECT_EQ(t.connections_accepted, 4u);
  EXPECT_EQ(t.slow_by_route[b], 2u);
  // The gauges the children left in shared memory...
  for (unsigned i = 0; i < 2; ++i) {
    EXPECT_EQ(region->Slot(i).connections_open.load(), 1);
    EXPECT_EQ(region->Slot(i).inflight.load(), 0);
    EXPECT_EQ(region->Slot(i).fibers_alive.load(), 7);
    EXPECT_EQ(region->Slot(i).queue_depth.load(), 3);
  }
  // ...read as zero now that both processes are gone.
  EXPECT_FALSE(snap.workers[0].alive);
  EXPECT_EQ(t.connections_open, 0);
  EXPECT_EQ(t.fibers_alive, 0);

  // The same numbers through the Prometheus text, summed and per worker.
  auto summed = ParsePrometheus(RenderPrometheus(snap));
  ASSERT_TRUE(summed.ok()) << summed.error;
  EXPECT_EQ(summed.Value("spindle_requests_total", {{"method", "GET"}, {"route", "/a"}, {"code", "200"}}), 350);
  EXPECT_EQ(summed.Value("spindle_requests_total", {{"method", "POST"}, {"route", "/b/{id}"}, {"code", "other"}}), 350);
  EXPECT_EQ(summed.Value("spindle_requests_total", {{"method", ""}, {"route", "(none)"}, {"code", "404"}}), 350);
  EXPECT_EQ(summed.Sum("spindle_requests_total"), 1400);
  EXPECT_EQ(summed.Value("spindle_request_duration_seconds_count"), 1400);
  EXPECT_EQ(summed.Value("spindle_request_duration_seconds_bucket", {{"le", "0.001"}}), 350);
  EXPECT_EQ(summed.Value("spindle_request_duration_seconds_bucket", {{"le", "10"}}), 1050);
  EXPECT_EQ(summed.Value("spindle_request_duration_seconds_bucket", {{"le", "+Inf"}}), 1400);
  EXPECT_EQ(summed.Value("spindle_watchdog_slow_slices_total", {{"method", "POST"}, {"route", "/b/{id}"}}), 2);
  EXPECT_EQ(summed.Value("spindle_connections_accepted_total"), 4);
  EXPECT_EQ(summed.Value("spindle_worker_starts_total", {{"worker", "1"}}), 1);

  auto per = ParsePrometheus(RenderPrometheus(snap, {.per_worker = true}));
  ASSERT_TRUE(per.ok()) << per.error;
  EXPECT_EQ(per.Value("spindle_requests_total", {{"worker", "0"}, {"method", "GET"}, {"route", "/a"}, {"code", "200"}}), 100);
  EXPECT_EQ(per.Value("spindle_requests_total", {{"worker", "1"}, {"method", "GET"}, {"route", "/a"}, {"code", "200"}}), 250);
  EXPECT_EQ(per.Sum("spindle_request_duration_seconds_count"), 1400);
}

TEST(MetricsRegion, RespawnedWorkerKeepsCountingAndResetsGauges) {
  auto region = NewRegion();
  // The first process dies with two requests in flight, an open connection
  // and a Redis snapshot; the second attaches to the same slot.
  ASSERT_EQ(RunChild([&] {
              region->AttachWorker(0);
              Recorder rec(*region, 0);
              uint32_t a = rec.RegisterRoute("GET", "/a");
              for (int i = 0; i < 5; ++i) Record(rec, a, 200, 1, 1ms);
              rec.OnRequestStart(a);
              rec.OnRequestStart(a);
              rec.OnAccept();
              rec.UpdateGauges({.redis_commands = 10, .redis_errors = 1, .redis_timeouts = 1,
                                .redis_reconnects = 2, .redis_pool_waits = 3,
                                .redis_connections_open = 4});
            }),
            0);
  {
    RegionSnapshot snap = TakeSnapshot(*region);
    ASSERT_EQ(snap.workers.size(), 1u);
    EXPECT_FALSE(snap.workers[0].alive);
    EXPECT_EQ(snap.workers[0].inflight, 0);  // dead: reads as zero
    EXPECT_EQ(region->Slot(0).inflight.load(), 2);  // what it left behind
  }
  ASSERT_EQ(RunChild([&] {
              region->AttachWorker(0);
              Recorder rec(*region, 0);
              uint32_t a = rec.RegisterRoute("GET", "/a");
              for (int i = 0; i < 3; ++i) Record(rec, a, 200, 1, 1ms);
              rec.UpdateGauges({.redis_commands = 4, .redis_reconnects = 1, .redis_connections_open = 2});
            }),
            0);
  RegionSnapshot snap = TakeSnapshot(*region);
  ASSERT_EQ(snap.workers.size(), 1u);
  const WorkerSnapshot& w = snap.workers[0];
  EXPECT_EQ(w.starts, 2u);
  // The second process reset what the first left behind.
  EXPECT_EQ(region->Slot(0).inflight.load(), 0);
  EXPECT_EQ(region->Slot(0).connections_open.load(), 0);
  EXPECT_EQ(region->Slot(0).inflight_table[0].route_plus_one.load(), 0u);
  EXPECT_EQ(w.RequestCount(region->FindRoute("GET /a"), StatusBucket(200)), 8u);
  EXPECT_EQ(w.inflight, 0);
  EXPECT_TRUE(w.inflight_requests.empty());
  EXPECT_EQ(w.connections_open, 0);
  EXPECT_EQ(w.connections_accepted, 1u);
  EXPECT_EQ(w.redis_commands, 14u);
  EXPECT_EQ(w.redis_reconnects, 3u);
  EXPECT_EQ(region->Slot(0).redis_connections_open.load(), 2);
}

TEST(MetricsRegion, InflightTableTracksTheFirst64) {
  auto region = NewRegion(1);
  region->AttachWorker(0);
  Recorder rec(*region, 0);
  uint32_t slow = rec.RegisterRoute("GET", "/slow");
  RequestToken first = rec.OnRequestStart(slow);
  std::this_thread::sleep_for(5ms);  // only ordering matters, not the amount
  std::vector<RequestToken> more;
  for (int i = 0; i < 70; ++i) more.push_back(rec.OnRequestStart(kRouteNone));
  RegionSnapshot snap = TakeSnapshot(*region);
  const WorkerSnapshot& w = snap.workers[0];
  EXPECT_EQ(w.inflight, 71);
  EXPECT_EQ(w.inflight_requests.size(), kInflightEntries);
  EXPECT_EQ(w.inflight_requests.front().route, slow);  // oldest first
  auto status = StatusJson(snap, {.slowest = 3});
  EXPECT_EQ(status["slowest"].size(), 3u);
  EXPECT_EQ(status["slowest"][0]["route"], "GET /slow");
  EXPECT_EQ(status["workers"][0]["inflight_untracked"], 71 - 64);
  std::string text = StatusText(snap);
  EXPECT_NE(text.find("SLOWEST IN-FLIGHT REQUESTS"), std::string::npos);
  EXPECT_NE(text.find("GET /slow"), std::string::npos);
  rec.OnRequestEnd(first, {slow, 200, 0, 5ms, 0us});
  for (RequestToken t : more) rec.OnRequestEnd(t, {kRouteNone, 404, 0, 1ms, 0us});
  snap = TakeSnapshot(*region);
  EXPECT_EQ(snap.workers[0].inflight, 0);
  EXPECT_TRUE(snap.workers[0].inflight_requests.empty());
}

TEST(Prometheus, EscapesLabelsAndParsesStrictly) {
  auto region = NewRegion(1);
  region->AttachWorker(0);
  Recorder rec(*region, 0);
  uint32_t weird = rec.RegisterRoute("GET", "/q/\"quoted\"\\back\nline");
  Record(rec, weird, 200, 1, 1ms);
  EXPECT_EQ(EscapeLabelValue("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
  std::string text = RenderPrometheus(TakeSnapshot(*region));
  auto p = ParsePrometheus(text);
  ASSERT_TRUE(p.ok()) << p.error << "\n" << text;
  EXPECT_EQ(p.Value("spindle_requests_total",
                    {{"method", "GET"}, {"route", "/q/\"quoted\"\\back\nline"}, {"code", "200"}}),
            1);
  // Every family we promise is there, typed.
  for (const char* f : {"spindle_requests_total", "spindle_request_duration_seconds",
                        "spindle_request_queue_wait_seconds", "spindle_requests_in_flight",
                        "spindle_request_queue_depth", "spindle_fibers_alive",
                        "spindle_fiber_stack_bytes", "spindle_offload_queue_depth",
                        "spindle_watchdog_slow_slices_total", "spindle_connections_accepted_total",
                        "spindle_connections_open", "spindle_redis_commands_total",
                        "spindle_redis_pool_waits_total", "spindle_worker_info"}) {
    ASSERT_NE(p.Family(f), nullptr) << f;
    EXPECT_FALSE(p.Family(f)->help.empty()) << f;
  }
}

// The parser itself must reject what it claims to reject, or the tests above
// prove nothing.
TEST(PromParser, RejectsInvalidText) {
  EXPECT_TRUE(ParsePrometheus("# TYPE a_total counter\na_total 1\n").ok());
  EXPECT_FALSE(ParsePrometheus("a_total 1\n").ok());                                 // no TYPE
  EXPECT_FALSE(ParsePrometheus("# TYPE a counter\na 1\n").ok());                     // no _total
  EXPECT_FALSE(ParsePrometheus("# TYPE a gauge\na{x=\"1} 1\n").ok());                // unterminated
  EXPECT_FALSE(ParsePrometheus("# TYPE a gauge\na{x=\"\\t\"} 1\n").ok());            // bad escape
  EXPECT_FALSE(ParsePrometheus("# TYPE a gauge\na{1x=\"\"} 1\n").ok());              // bad label name
  EXPECT_FALSE(ParsePrometheus("# TYPE a gauge\na one\n").ok());                     // bad value
  EXPECT_FALSE(ParsePrometheus("# TYPE a gauge\na 1\na 2\n").ok());                  // duplicate
  EXPECT_FALSE(ParsePrometheus("# TYPE a gauge\nb 1\n").ok());                       // wrong family
  const std::string ok_h =
      "# TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_bucket{le=\"+Inf\"} 2\nh_sum 3\nh_count 2\n";
  EXPECT_TRUE(ParsePrometheus(ok_h).ok());
  EXPECT_FALSE(ParsePrometheus(
      "# TYPE h histogram\nh_bucket{le=\"1\"} 3\nh_bucket{le=\"+Inf\"} 2\nh_sum 3\nh_count 2\n").ok());
  EXPECT_FALSE(ParsePrometheus(
      "# TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_bucket{le=\"+Inf\"} 2\nh_sum 3\nh_count 3\n").ok());
  EXPECT_FALSE(ParsePrometheus("# TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_sum 3\nh_count 1\n").ok());
}

}  // namespace
}  // namespace spindle::test
