// TimerHeap implementation: see timer_heap.hpp. Scheduler thread only.
#include "engine/timer_heap.hpp"

namespace spindle::engine {

void TimerHeap::Arm(FiberContext* fc, Clock::time_point deadline) {
  fc->deadline = deadline;
  heap_.push_back(fc);
  fc->heap_index = heap_.size() - 1;
  SiftUp(fc->heap_index);
}

void TimerHeap::Cancel(FiberContext* fc) noexcept {
  const size_t i = fc->heap_index;
  if (i == FiberContext::kNoHeapIndex) return;
  fc->heap_index = FiberContext::kNoHeapIndex;
  FiberContext* last = heap_.back();
  heap_.pop_back();
  if (last == fc) return;
  Place(i, last);
  SiftUp(i);
  SiftDown(last->heap_index);
}

FiberContext* TimerHeap::PopExpired(Clock::time_point now) noexcept {
  if (heap_.empty() || heap_.front()->deadline > now) return nullptr;
  FiberContext* fc = heap_.front();
  Cancel(fc);
  return fc;
}

void TimerHeap::SiftUp(size_t i) noexcept {
  FiberContext* fc = heap_[i];
  while (i > 0) {
    const size_t parent = (i - 1) / 2;
    if (heap_[parent]->deadline <= fc->deadline) break;
    Place(i, heap_[parent]);
    i = parent;
  }
  Place(i, fc);
}

void TimerHeap::SiftDown(size_t i) noexcept {
  FiberContext* fc = heap_[i];
  const size_t n = heap_.size();
  for (;;) {
    size_t child = 2 * i + 1;
    if (child >= n) break;
    if (child + 1 < n && heap_[child + 1]->deadline < heap_[child]->deadline) ++child;
    if (fc->deadline <= heap_[child]->deadline) break;
    Place(i, heap_[child]);
    i = child;
  }
  Place(i, fc);
}

}  // namespace spindle::engine
