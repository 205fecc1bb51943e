// redis_bench: GET or SET throughput of the fiber Redis client in one worker
// (one Scheduler, one thread): N fibers each loop on the command until the
// total is done. Prints one line: "<command> <ops/s> ops/s (<n> ops, <s> s,
// <fibers> fibers, pool <p>)". Used by compare.sh beside redis-benchmark.
//
//   redis_bench --address unix:/tmp/r.sock --command GET --fibers 1000
//               --requests 1000000 --pool-size 2 --data-size 3
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include <spindle/fiber.hpp>
#include <spindle/redis.hpp>
#include <spindle/scheduler.hpp>
#include <spindle/sync.hpp>

namespace {

struct Options {
  std::string address = "127.0.0.1:6379";
  std::string command = "GET";
  int fibers = 1000;
  long requests = 1000000;
  size_t pool_size = 2;
  size_t data_size = 3;
  int keyspace = 1;  // like redis-benchmark without -r: one key
};

Options Parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string k = argv[i];
    const char* v = argv[i + 1];
    if (k == "--address") o.address = v;
    else if (k == "--command") o.command = v;
    else if (k == "--fibers") o.fibers = std::atoi(v);
    else if (k == "--requests") o.requests = std::atol(v);
    else if (k == "--pool-size") o.pool_size = static_cast<size_t>(std::atol(v));
    else if (k == "--data-size") o.data_size = static_cast<size_t>(std::atol(v));
    else if (k == "--keyspace") o.keyspace = std::atoi(v);
    else {
      std::fprintf(stderr, "redis_bench: unknown option '%s'\n", k.c_str());
      std::exit(2);
    }
  }
  return o;
}

}  // namespace

int main(int argc, char** argv) {
  const Options o = Parse(argc, argv);
  const bool is_set = o.command == "SET";
  if (!is_set && o.command != "GET") {
    std::fprintf(stderr, "redis_bench: --command is GET or SET\n");
    return 2;
  }
  spindle::SchedulerOptions so;
  so.watchdog_threshold = std::chrono::milliseconds(0);
  spindle::Scheduler scheduler(so);
  int rc = 0;
  scheduler.run([&] {
    spindle::redis::Config cfg;
    cfg.address = o.address;
    cfg.pool_size = o.pool_size;
    cfg.command_timeout = std::chrono::milliseconds(10000);
    spindle::redis::Client client(cfg);
    const std::string value(o.data_size, 'x');
    client.set("key:__rand_int__", value);  // the key redis-benchmark uses
    // Warm up: connections open, stacks pooled.
    for (int i = 0; i < 1000; ++i) (void)client.get("key:__rand_int__");

    long remaining = o.requests;
    long errors = 0;
    spindle::WaitGroup wg;
    const auto start = std::chrono::steady_clock::now();
    for (int f = 0; f < o.fibers; ++f) {
      wg.add();
      spindle::spawn([&] {
        while (remaining > 0) {
          --remaining;
          try {
            if (is_set) {
              client.set("key:__rand_int__", value);
            } else {
              (void)client.get("key:__rand_int__");
            }
          } catch (const std::exception&) {
            ++errors;
          }
        }
        wg.done();
      });
    }
    (void)wg.wait();
    const double secs =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const spindle::redis::Stats s = client.stats();
    std::printf("%s %.0f ops/s (%ld ops, %.3f s, %d fibers, pool %zu, errors %ld, p50<=%llu us, "
                "p99<=%llu us)\n",
                o.command.c_str(), static_cast<double>(o.requests) / secs, o.requests, secs,
                o.fibers, o.pool_size, errors,
                static_cast<unsigned long long>(s.latency.QuantileUpperBoundUs(0.5)),
                static_cast<unsigned long long>(s.latency.QuantileUpperBoundUs(0.99)));
    if (errors > 0) rc = 1;
    client.close();
  });
  return rc;
}
