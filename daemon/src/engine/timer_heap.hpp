// TimerHeap: the deadlines of parked fibers, as a binary min-heap of
// FiberContext pointers that remember their own index, so arming and
// cancelling are O(log n) with no allocation in the steady state (100k+
// concurrent sleeps are fine).
//
// Thread contract: scheduler thread only.
#pragma once

#include <cstddef>
#include <vector>

#include "engine/fiber_context.hpp"

namespace spindle::engine {

class TimerHeap {
 public:
  void Arm(FiberContext* fc, Clock::time_point deadline);
  void Cancel(FiberContext* fc) noexcept;
  bool Empty() const noexcept { return heap_.empty(); }
  size_t Size() const noexcept { return heap_.size(); }
  // Precondition: !Empty().
  Clock::time_point Nearest() const noexcept { return heap_.front()->deadline; }
  // Removes and returns the earliest fiber whose deadline is <= now, or
  // nullptr.
  FiberContext* PopExpired(Clock::time_point now) noexcept;

 private:
  void SiftUp(size_t i) noexcept;
  void SiftDown(size_t i) noexcept;
  void Place(size_t i, FiberContext* fc) noexcept {
    heap_[i] = fc;
    fc->heap_index = i;
  }
  std::vector<FiberContext*> heap_;
};

}  // namespace spindle::engine
