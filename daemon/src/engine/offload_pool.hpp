// OffloadPool: the small thread pool behind offload(). Threads start with the
// pool (created on a scheduler's first offload call); each finished job wakes
// its fiber through the scheduler's remote queue and eventfd.
//
// Thread contract: Submit() on the scheduler thread; jobs run on pool
// threads; the destructor runs every queued job to completion, then joins.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

namespace spindle::impl {

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

 private:
  void ThreadMain();

  std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<Job> jobs_;
  size_t idle_ = 0;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace spindle::impl
