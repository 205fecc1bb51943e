// Watchdog implementation: see watchdog.hpp. Own thread.
#include "engine/watchdog.hpp"

#include <pthread.h>

#include <algorithm>
#include <cstdint>
#include <string>

#include <spdlog/spdlog.h>

#include "engine/scheduler_impl.hpp"

namespace spindle::engine {

Watchdog::Watchdog(SchedulerImpl& sched, std::chrono::milliseconds threshold, Observer observer)
    : sched_(sched), threshold_(threshold), observer_(std::move(observer)) {
  thread_ = std::thread([this] { ThreadMain(); });
  ::pthread_setname_np(thread_.native_handle(), "spindle-watchdog");
}

Watchdog::~Watchdog() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void Watchdog::ThreadMain() {
  using namespace std::chrono;
  const auto period = std::clamp<steady_clock::duration>(threshold_ / 5, milliseconds(1),
                                                         milliseconds(10));
  uint64_t last_switches = sched_.switches();
  auto slice_start = steady_clock::now();
  bool reported = false;
  std::unique_lock<std::mutex> lock(mutex_);
  while (!cv_.wait_for(lock, period, [this] { return stopping_; })) {
    const uint64_t switches = sched_.switches();
    const auto now = steady_clock::now();
    if (switches != last_switches) {
      last_switches = switches;
      slice_start = now;
      reported = false;
      continue;
    }
    const FiberContext* running = sched_.WatchCurrent();
    if (reported || running == nullptr || running == sched_.Dispatcher()) continue;
    const auto ran = duration_cast<milliseconds>(now - slice_start);
    if (ran < threshold_) continue;
    reported = true;
    // Re-check: the fiber may have switched (and its record been reused)
    // since the sample; the name copy itself is safe either way.
    const std::string name = sched_.CopyName(running);
    if (sched_.switches() != last_switches) continue;
    sched_.CountSlowSlice();
    spdlog::warn("fiber '{}' running for {} ms without yielding", name, ran.count());
    if (observer_) {
      try {
        observer_(name, ran);
      } catch (const std::exception& e) {
        spdlog::error("watchdog observer threw: {}", e.what());
      }
    }
  }
}

}  // namespace spindle::engine
