// Engine micro-benchmarks. Each benchmark runs its timed loop inside a fiber
// of a fresh Scheduler (the loop itself is ordinary code, so Google
// Benchmark's state works unchanged in a fiber).
//
//   build-*/bench/engine/engine_bench --benchmark_repetitions=5
//       --benchmark_report_aggregates_only=true
//
// BM_ParkedOnTimers needs vm.max_map_count above 2 maps per fiber
// (sysctl -w vm.max_map_count=262144); it reports an error otherwise.
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <vector>

#include <benchmark/benchmark.h>
#include <boost/context/fiber.hpp>

#include <spindle/channel.hpp>
#include <spindle/fiber.hpp>
#include <spindle/offload.hpp>
#include <spindle/scheduler.hpp>
#include <spindle/sync.hpp>

namespace {

using namespace spindle;

SchedulerOptions BenchOptions() {
  SchedulerOptions o;
  o.stack_size = 64 * 1024;
  return o;  // watchdog on (its default): its cost is part of the figure
}

// One iteration = main yields to a second fiber, which yields back:
// two context switches through the run queue.
void BM_SwitchRoundTrip(benchmark::State& state) {
  Scheduler s(BenchOptions());
  s.run([&] {
    bool done = false;
    Fiber other = spawn([&] {
      while (!done) this_fiber::yield();
    });
    this_fiber::yield();  // let it start
    for (auto _ : state) this_fiber::yield();
    done = true;
    other.join();
  });
}
BENCHMARK(BM_SwitchRoundTrip);

// Baseline for the figure above: a bare Boost.Context fiber resumed back and
// forth (two switches, no scheduler). The difference is the engine's cost
// (run queue, bookkeeping, watchdog counter) and shows how noisy the machine
// is at the time of the run.
void BM_RawBoostContextRoundTrip(benchmark::State& state) {
  namespace ctx = boost::context;
  ctx::fiber f{[](ctx::fiber&& caller) {
    for (;;) caller = std::move(caller).resume();
    return std::move(caller);
  }};
  for (auto _ : state) f = std::move(f).resume();
}
BENCHMARK(BM_RawBoostContextRoundTrip);

// One iteration = spawn a fiber (pooled stack), run it to the end, join it.
void BM_SpawnRunJoin(benchmark::State& state) {
  Scheduler s(BenchOptions());
  s.run([&] {
    int runs = 0;
    for (auto _ : state) spawn([&runs] { ++runs; }).join();
    benchmark::DoNotOptimize(runs);
  });
}
BENCHMARK(BM_SpawnRunJoin);

// One iteration = a message there and a message back between two fibers
// over two Channel<int>(1); ns_per_message is half the iteration time.
void BM_ChannelPingPong(benchmark::State& state) {
  Scheduler s(BenchOptions());
  s.run([&] {
    Channel<int> ping(1), pong(1);
    Fiber echo = spawn([&] {
      int v;
      while (ping.pop(v) == ChannelStatus::kSuccess) (void)pong.push(v + 1);
    });
    int v = 0;
    for (auto _ : state) {
      (void)ping.push(v);
      (void)pong.pop(v);
    }
    ping.close();
    echo.join();
    state.counters["ns_per_message"] = benchmark::Counter(
        static_cast<double>(state.iterations()) * 2, benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
  });
}
BENCHMARK(BM_ChannelPingPong);

size_t ResidentBytes() {
  std::ifstream statm("/proc/self/statm");
  size_t size = 0, resident = 0;
  statm >> size >> resident;
  return resident * static_cast<size_t>(::sysconf(_SC_PAGESIZE));
}

size_t MaxMapCount() {
  std::ifstream f("/proc/sys/vm/max_map_count");
  size_t n = 0;
  f >> n;
  return n;
}

// 100,000 fibers parked in sleep_for at once (64 KiB stacks). Reports the
// RSS growth per parked fiber (stack pages touched + record + timer slot)
// and the time to spawn and park them all.
void BM_ParkedOnTimers(benchmark::State& state) {
  const size_t n = static_cast<size_t>(state.range(0));
  if (MaxMapCount() < 2 * n + 10000) {
    state.SkipWithError("vm.max_map_count too low: run 'sysctl -w vm.max_map_count=262144'");
    return;
  }
  for (auto _ : state) {
    Scheduler s(BenchOptions());
    s.run([&] {
      const size_t rss_before = ResidentBytes();
      std::vector<Fiber> fibers;
      fibers.reserve(n);
      size_t parked = 0;
      for (size_t i = 0; i < n; ++i) {
        fibers.push_back(spawn([&parked] {
          ++parked;
          (void)this_fiber::sleep_for(std::chrono::hours(1));
        }));
      }
      while (parked < n) this_fiber::yield();
      const size_t rss_after = ResidentBytes();
      state.counters["rss_per_fiber_bytes"] =
          static_cast<double>(rss_after - rss_before) / static_cast<double>(n);
      state.counters["fibers"] = static_cast<double>(Scheduler::current()->fibers_alive() - 1);
      state.PauseTiming();
      for (Fiber& f : fibers) f.cancel();
      for (Fiber& f : fibers) f.join();
      state.ResumeTiming();
    });
  }
}
BENCHMARK(BM_ParkedOnTimers)->Arg(30000)->Arg(100000)->Iterations(1)->Unit(benchmark::kMillisecond);

// One iteration = offload a trivial function to the pool and get its result
// back (pool thread wake-up + eventfd wake-up of the scheduler).
void BM_OffloadRoundTrip(benchmark::State& state) {
  Scheduler s(BenchOptions());
  s.run([&] {
    int sum = 0;
    for (auto _ : state) sum += offload([] { return 1; });
    benchmark::DoNotOptimize(sum);
  });
}
BENCHMARK(BM_OffloadRoundTrip)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
