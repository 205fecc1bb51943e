// OffloadPool implementation: see offload_pool.hpp.
#include "engine/offload_pool.hpp"

#include <pthread.h>

#include "engine/scheduler_impl.hpp"

namespace spindle::impl {

OffloadPool::OffloadPool(size_t threads) {
  if (threads == 0) threads = 1;
  threads_.reserve(threads);
  for (size_t i = 0; i < threads; ++i) {
    threads_.emplace_back([this] { ThreadMain(); });
    ::pthread_setname_np(threads_.back().native_handle(), "spindle-offload");
  }
}

OffloadPool::~OffloadPool() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  cv_.notify_all();
  for (std::thread& t : threads_) t.join();
}

void OffloadPool::Submit(const Job& job) {
  bool wake;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    jobs_.push_back(job);
    wake = idle_ > 0;
  }
  if (wake) cv_.notify_one();
}

void OffloadPool::ThreadMain() {
  std::unique_lock<std::mutex> lock(mutex_);
  for (;;) {
    if (jobs_.empty()) {
      if (stopping_) return;
      ++idle_;
      cv_.wait(lock, [this] { return stopping_ || !jobs_.empty(); });
      --idle_;
      continue;
    }
    const Job job = jobs_.front();
    jobs_.pop_front();
    lock.unlock();
    job.run(job.arg);
    job.sched->PostRemote(job.fiber);
    lock.lock();
  }
}

}  // namespace spindle::impl
