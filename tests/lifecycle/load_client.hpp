// LoadClient: a steady load on spindled for lifecycle tests. Each of its
// threads sends one request per fresh connection (FrameClient), pauses, and
// repeats until Stop(); it counts successes, refused connections (connect()
// failed: the socket was gone) and failed requests (connected, but no
// complete 200 answer), and keeps the first few failure messages.
//
// Thread contract: Start/Stop/counters from the test thread; the worker
// threads only touch atomics and the mutex-guarded message list.
#pragma once

#include <atomic>
#include <chrono>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace spindle::test {

struct LoadOptions {
  std::string socket_path;
  std::string uri = "/sleep?ms=20";
  int threads = 4;
  std::chrono::milliseconds pause{5};
  std::chrono::milliseconds timeout{20000};  // per request
};

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

  uint64_t ok() const { return ok_.load(); }
  uint64_t refused() const { return refused_.load(); }
  uint64_t failed() const { return failed_.load(); }
  std::string Failures() const;  // the first few messages, one per line

 private:
  void Run();
  void Note(const std::string& msg);

  LoadOptions options_;
  std::vector<std::thread> threads_;
  std::atomic<bool> stop_{false};
  std::atomic<uint64_t> ok_{0};
  std::atomic<uint64_t> refused_{0};
  std::atomic<uint64_t> failed_{0};
  mutable std::mutex mu_;
  std::vector<std::string> messages_;
};

}  // namespace spindle::test
