// pg_select_load: primary-key SELECTs through the fiber PostgreSQL client in
// one worker (one Scheduler, one thread), the Spindle side of bench/pg/run
// beside `pgbench -S -M prepared`. N fibers each loop on
//   execute("sel", aid)  -- SELECT abalance FROM pgbench_accounts WHERE aid = $1
// with a uniformly random aid in 1..accounts, over a pg::Client of
// --connections pipelined connections. A warm-up second (connections open,
// statement prepared on each, stacks pooled) is not counted; then queries
// answered within --duration seconds are counted and timed (steady_clock
// around each call; exact percentiles, as the other load tools report them).
// Prints one JSON line:
//   {"tps":..., "queries":..., "errors":..., "seconds":..., "connections":...,
//    "fibers":..., "p50_ms":..., "p99_ms":..., "max_pipeline_depth":...}
// Exit status 1 when a query failed or none was answered.
//
//   pg_select_load --conninfo 'host=/tmp/pg port=5432 user=spindle dbname=postgres'
//                  --connections 2 --fibers 1000 --duration 10 --accounts 1000000
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>
#include <vector>

#include <spindle/fiber.hpp>
#include <spindle/pg.hpp>
#include <spindle/scheduler.hpp>
#include <spindle/sync.hpp>

#include "http1.hpp"  // bench::Percentile, shared with the HTTP load tools

namespace {

struct Options {
  std::string conninfo;
  size_t connections = 1;
  int fibers = 1000;
  double duration = 10;
  double warmup = 1;
  long accounts = 100000;  // pgbench: 100,000 per unit of scale
};

[[noreturn]] void Usage(const char* why) {
  std::fprintf(stderr,
               "pg_select_load: %s\n"
               "usage: pg_select_load --conninfo STR --accounts N [--connections N]\n"
               "                      [--fibers N] [--duration|-T SECONDS] [--warmup SECONDS]\n",
               why);
  std::exit(2);
}

Options Parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; i += 2) {
    const std::string k = argv[i];
    if (i + 1 >= argc) Usage(("missing value for " + k).c_str());
    const char* v = argv[i + 1];
    if (k == "--conninfo") o.conninfo = v;
    else if (k == "--connections") o.connections = static_cast<size_t>(std::atol(v));
    else if (k == "--fibers") o.fibers = std::atoi(v);
    else if (k == "--duration" || k == "-T") o.duration = std::atof(v);
    else if (k == "--warmup") o.warmup = std::atof(v);
    else if (k == "--accounts") o.accounts = std::atol(v);
    else Usage(("unknown option " + k).c_str());
  }
  if (o.connections < 1 || o.fibers < 1 || o.duration <= 0 || o.warmup < 0 || o.accounts < 1) {
    Usage("--connections, --fibers, --duration and --accounts must be positive");
  }
  return o;
}

// xorshift64*: a cheap per-fiber generator (the aid only needs to spread).
struct Random {
  uint64_t state;
  uint64_t Next() noexcept {
    state ^= state >> 12;
    state ^= state << 25;
    state ^= state >> 27;
    return state * 2685821657736338717ull;
  }
};

enum class Phase { kWarmup, kMeasure, kDone };

struct Totals {
  Phase phase = Phase::kWarmup;
  uint64_t queries = 0;
  uint64_t errors = 0;
  std::vector<uint32_t> latency_us;  // one per counted query (exact percentiles)
  bool reported = false;  // the first error's message went to stderr
};

void Loop(const spindle::pg::Client& pg, const Options& o, Totals& t, uint64_t seed) {
  Random rnd{seed * 0x9E3779B97F4A7C15ull + 1};
  while (t.phase != Phase::kDone) {
    const long aid = static_cast<long>(rnd.Next() % static_cast<uint64_t>(o.accounts)) + 1;
    const auto start = std::chrono::steady_clock::now();
    bool ok = true;
    try {
      (void)pg.execute("sel", aid).value<int32_t>();
    } catch (const spindle::Cancelled&) {
      return;
    } catch (const std::exception& e) {
      ok = false;
      if (!t.reported) {
        std::fprintf(stderr, "pg_select_load: query failed: %s\n", e.what());
        t.reported = true;
      }
    }
    if (t.phase != Phase::kMeasure) continue;  // answered outside the window
    if (ok) {
      ++t.queries;
      const auto us = std::chrono::duration_cast<std::chrono::microseconds>(
          std::chrono::steady_clock::now() - start);
      t.latency_us.push_back(static_cast<uint32_t>(us.count()));
    } else {
      ++t.errors;
      (void)spindle::this_fiber::sleep_for(std::chrono::milliseconds(1));  // no hot spin
    }
  }
}

std::chrono::steady_clock::duration Seconds(double s) {
  return std::chrono::duration_cast<std::chrono::steady_clock::duration>(
      std::chrono::duration<double>(s));
}

}  // namespace

int main(int argc, char** argv) {
  const Options o = Parse(argc, argv);
  spindle::SchedulerOptions so;
  so.watchdog_threshold = std::chrono::milliseconds(0);
  spindle::Scheduler scheduler(so);
  int rc = 0;
  scheduler.run([&] {
    spindle::pg::Config cfg;
    cfg.conninfo = o.conninfo;
    cfg.pool_size = o.connections;
    cfg.query_timeout = std::chrono::milliseconds(10000);
    spindle::pg::Client pg(cfg);
    pg.prepare("sel", "SELECT abalance FROM pgbench_accounts WHERE aid = $1");
    try {
      (void)pg.execute("sel", 1L).value<int32_t>();  // the table is there, aid 1 too
    } catch (const std::exception& e) {
      std::fprintf(stderr, "pg_select_load: first query failed: %s\n", e.what());
      rc = 1;
      pg.close();
      return;
    }
    Totals t;
    spindle::WaitGroup wg;
    for (int f = 0; f < o.fibers; ++f) {
      wg.add();
      spindle::spawn([&, f] {
        Loop(pg, o, t, static_cast<uint64_t>(f) + 1);
        wg.done();
      }, "select");
    }
    (void)spindle::this_fiber::sleep_for(Seconds(o.warmup));
    t.phase = Phase::kMeasure;
    const auto start = std::chrono::steady_clock::now();
    (void)spindle::this_fiber::sleep_for(Seconds(o.duration));
    t.phase = Phase::kDone;
    const double secs =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    (void)wg.wait_for(std::chrono::seconds(30));  // each fiber finishes its last query
    const spindle::pg::Stats s = pg.stats();
    std::sort(t.latency_us.begin(), t.latency_us.end());
    std::printf("{\"tps\":%.1f,\"queries\":%llu,\"errors\":%llu,\"seconds\":%.3f,"
                "\"connections\":%zu,\"fibers\":%d,\"p50_ms\":%.3f,\"p99_ms\":%.3f,"
                "\"max_pipeline_depth\":%zu}\n",
                static_cast<double>(t.queries) / secs, static_cast<unsigned long long>(t.queries),
                static_cast<unsigned long long>(t.errors), secs, o.connections, o.fibers,
                bench::Percentile(t.latency_us, 50) / 1000.0,
                bench::Percentile(t.latency_us, 99) / 1000.0, s.max_pipeline_depth);
    std::fflush(stdout);
    if (t.errors > 0 || t.queries == 0) rc = 1;
    pg.close();       // fails any call still in flight,
    (void)wg.wait();  // so every fiber is done with `t` before it goes
  });
  return rc;
}
