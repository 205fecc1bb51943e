// LoadClient: a steady load for lifecycle tests and fault drills, which
// counts every request it sends and every answer it gets, by class. It
// speaks either the wire protocol straight to spindled's unix socket
// (FrameClient, one request per fresh connection) or HTTP/1.1 to nginx
// (HttpClient, a fresh connection per request or one kept-alive connection
// per thread). Each thread sends a request, waits for its answer, pauses,
// and repeats until Stop(); a thread never has more than one request in
// flight, so `threads` bounds the requests in flight at any moment.
//
// Counting: `sent` goes up before the first byte of a request leaves; each
// request then ends in exactly one class: ok (a 2xx that passes `check`),
// a non-2xx status (counted per status), connect failure, reset (the
// connection closed or broke before a complete answer), timeout (no
// progress within `timeout`), or bad (a 2xx that failed `check`, or an
// unparseable answer). Latency is kept per status (the maximum).
//
// Thread contract: Start/Stop/Counts from the test thread; the worker
// threads only touch atomics and mutex-guarded state. Nothing is retried.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace spindle::test {

struct LoadOptions {
  // Frames straight to the daemon (socket_path), or HTTP to nginx when
  // http_port is set.
  std::string socket_path;
  uint16_t http_port = 0;
  std::string method = "GET";
  std::string uri = "/sleep?ms=20";
  std::string body;         // sent with every request (Content-Length)
  bool keep_alive = false;  // HTTP: one connection per thread, reused
  int threads = 4;
  std::chrono::milliseconds pause{5};
  std::chrono::milliseconds timeout{20000};  // per socket wait
  // A 2xx answer counts as ok only when this returns true (default: any).
  std::function<bool(int status, const std::string& body)> check;
};

// A snapshot of the counters; `a - b` gives what happened between two.
struct LoadCounts {
  uint64_t sent = 0;
  uint64_t ok = 0;              // 2xx that passed the check
  uint64_t bad = 0;             // 2xx that failed the check, or garbage
  std::map<int, uint64_t> status;  // answers that were not 2xx, by status
  uint64_t connect_failed = 0;
  uint64_t reset = 0;           // closed/reset without a complete answer
  uint64_t timeout = 0;
  std::map<int, std::chrono::microseconds> max_latency;  // by status (0: none)

  uint64_t non_2xx() const;
  uint64_t answered() const { return ok + bad + non_2xx(); }
  // Everything but ok (excluding requests still in flight).
  uint64_t failed() const { return bad + non_2xx() + connect_failed + reset + timeout; }
  uint64_t finished() const { return ok + failed(); }
  // "sent 812 answered 810 (2xx 800, 503x10) bad 0 connect 0 reset 2
  //  timeout 0 max latency 200:31ms 503:12ms"
  std::string Summary() const;
};
LoadCounts operator-(const LoadCounts& a, const LoadCounts& b);

class LoadClient {
 public:
  explicit LoadClient(LoadOptions options);
  ~LoadClient();
  LoadClient(const LoadClient&) = delete;
  LoadClient& operator=(const LoadClient&) = delete;

  void Start();
  void Stop();  // joins the threads; idempotent

  // Waits (bounded) until `n` more requests have succeeded than now.
  bool WaitForMore(uint64_t n, std::chrono::milliseconds timeout);

  LoadCounts Counts() const;
  // Requests sent and not finished yet (at most `threads`).
  uint64_t in_flight() const;
  uint64_t ok() const { return ok_.load(); }
  // Connect failures (the socket was gone).
  uint64_t refused() const;
  // Connected, but no complete ok answer.
  uint64_t failed() const;
  std::string Failures() const;  // the first few messages, one per line

 private:
  void Run();
  void RunHttp();
  void Note(const std::string& msg);
  void Answer(int status, std::chrono::steady_clock::time_point start, bool passed);
  void Fail(uint64_t LoadCounts::*field, const std::string& msg);

  LoadOptions options_;
  std::vector<std::thread> threads_;
  std::atomic<bool> stop_{false};
  std::atomic<uint64_t> ok_{0};
  mutable std::mutex mu_;  // guards counts_ (but counts_.ok mirrors ok_)
  LoadCounts counts_;
  std::vector<std::string> messages_;
};

}  // namespace spindle::test
