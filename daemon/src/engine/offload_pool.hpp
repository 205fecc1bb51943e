// OffloadPool: the small thread pool behind offload(). Threads start with the
// pool (created on a scheduler's first offload call); each finished job wakes
// its fiber through the scheduler's remote queue and eventfd.
//
// After a job, a thread polls for the next one for a few microseconds before
// it blocks, so back-to-back offloads skip the futex wake-up. Submit wakes
// an idle thread whenever more jobs wait than threads are polling.
//
// Thread contract: Submit() on the scheduler thread; jobs run on pool
// threads; the destructor runs every queued job to completion, then joins.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

namespace spindle::engine {

class FiberContext;
class SchedulerImpl;

class OffloadPool {
 public:
  struct Job {
    void (*run)(void*) noexcept;
    void* arg;
    FiberContext* fiber;
    SchedulerImpl* sched;
  };

  explicit OffloadPool(size_t threads);
  ~OffloadPool();
  OffloadPool(const OffloadPool&) = delete;
  OffloadPool& operator=(const OffloadPool&) = delete;

  void Submit(const Job& job);
  // Jobs waiting for a pool thread (approximate; any thread).
  size_t queued() const noexcept { return queued_.load(std::memory_order_relaxed); }

 private:
  void ThreadMain();
  void SpinForWork();

  std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<Job> jobs_;
  size_t idle_ = 0;                     // threads blocked on cv_
  std::atomic<size_t> queued_{0};       // jobs_.size(), readable without the lock
  std::atomic<size_t> spinning_{0};     // threads polling queued_ after a job
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace spindle::engine
