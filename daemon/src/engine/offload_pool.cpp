// OffloadPool implementation: see offload_pool.hpp.
#include "engine/offload_pool.hpp"

#include <pthread.h>

#include <chrono>

#include "engine/cpu_relax.hpp"
#include "engine/scheduler_impl.hpp"

namespace spindle::engine {

namespace {
constexpr auto kSpinAfterJob = std::chrono::microseconds(50);
}  // namespace

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
    queued_.store(jobs_.size(), std::memory_order_release);
    // Each spinning thread takes one queued job; wake an idle thread for
    // every job beyond those, so a quick job never waits behind a slow one
    // while a thread sleeps.
    wake = idle_ > 0 && jobs_.size() > spinning_.load(std::memory_order_acquire);
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
    queued_.store(jobs_.size(), std::memory_order_release);
    lock.unlock();
    job.run(job.arg);
    job.sched->PostRemote(job.fiber);
    SpinForWork();
    lock.lock();
  }
}

void OffloadPool::SpinForWork() {
  spinning_.fetch_add(1, std::memory_order_acq_rel);
  const auto until = std::chrono::steady_clock::now() + kSpinAfterJob;
  while (queued_.load(std::memory_order_acquire) == 0 &&
         std::chrono::steady_clock::now() < until) {
    CpuRelax();
  }
  spinning_.fetch_sub(1, std::memory_order_acq_rel);
}

}  // namespace spindle::engine
