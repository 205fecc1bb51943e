// admission.hpp: per-worker admission control. At most `max_inflight`
// handlers run at once; later requests wait in a FIFO queue until a slot
// frees up or their deadline passes (the caller then answers 503 with
// Retry-After). Under overload users wait instead of getting errors.
//
// Fiber contract: one Admission per worker thread; Acquire() may suspend
// (and ends early with kCancelled when the request is cancelled); Release()
// never suspends and hands the slot directly to the oldest waiter, so a
// newcomer cannot overtake the queue.
#pragma once

#include <spindle/deadline.hpp>
#include <spindle/sync.hpp>

#include <cstddef>

namespace spindle::server {

class Admission {
 public:
  explicit Admission(size_t max_inflight) : max_inflight_(max_inflight) {}
  Admission(const Admission&) = delete;
  Admission& operator=(const Admission&) = delete;

  // kOk: the caller holds a slot and must Release() it.
  [[nodiscard]] WaitStatus Acquire(Deadline deadline);
  void Release();

  size_t inflight() const { return inflight_; }
  size_t queued() const { return queued_; }

 private:
  struct Waiter {
    Waiter* prev = nullptr;
    Waiter* next = nullptr;
    bool granted = false;
    Event event;
  };
  void Unlink(Waiter* w);

  size_t max_inflight_;
  size_t inflight_ = 0;
  size_t queued_ = 0;
  Waiter* head_ = nullptr;
  Waiter* tail_ = nullptr;
};

// Holds an admission slot for a scope.
class AdmissionSlot {
 public:
  explicit AdmissionSlot(Admission& a) : admission_(a) {}
  ~AdmissionSlot() {
    if (held_) admission_.Release();
  }
  AdmissionSlot(const AdmissionSlot&) = delete;
  AdmissionSlot& operator=(const AdmissionSlot&) = delete;
  WaitStatus Acquire(Deadline d) {
    WaitStatus st = admission_.Acquire(d);
    held_ = st == WaitStatus::kOk;
    return st;
  }

 private:
  Admission& admission_;
  bool held_ = false;
};

}  // namespace spindle::server
