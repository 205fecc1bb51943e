// Watchdog: a thread that samples a scheduler's switch counter every few
// milliseconds and reports a fiber that has run longer than the threshold
// without switching (the cooperative model's one real hazard): one warning
// per slow slice, the on_slow_slice observer, and Scheduler::slow_slices().
// It never interrupts or kills the fiber. The scheduler's only cost is a
// relaxed counter store and a pointer store per switch.
//
// Thread contract: runs on its own thread; reads the scheduler's atomics and
// copies fiber names under the scheduler's name mutex.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string_view>
#include <thread>

namespace spindle::engine {

class SchedulerImpl;

class Watchdog {
 public:
  using Observer = std::function<void(std::string_view, std::chrono::milliseconds)>;

  Watchdog(SchedulerImpl& sched, std::chrono::milliseconds threshold, Observer observer);
  ~Watchdog();
  Watchdog(const Watchdog&) = delete;
  Watchdog& operator=(const Watchdog&) = delete;

 private:
  void ThreadMain();

  SchedulerImpl& sched_;
  const std::chrono::milliseconds threshold_;
  const Observer observer_;
  std::mutex mutex_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace spindle::engine
