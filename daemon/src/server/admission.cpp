// admission.cpp: see admission.hpp.
#include "server/admission.hpp"

#include "server/stats.hpp"

namespace spindle::server {

WaitStatus Admission::Acquire(Deadline deadline) {
  if (inflight_ < max_inflight_ && head_ == nullptr) {
    ++inflight_;
    MutableStats().inflight = inflight_;
    return WaitStatus::kOk;
  }
  Waiter w;
  w.prev = tail_;
  if (tail_) tail_->next = &w;
  else head_ = &w;
  tail_ = &w;
  MutableStats().queued = ++queued_;
  WaitStatus st = w.event.wait_until(deadline);
  // A slot handed over by Release() wins even if the deadline passed or the
  // fiber was cancelled right after: the caller then owns it.
  if (w.granted) return WaitStatus::kOk;
  Unlink(&w);
  MutableStats().queued = --queued_;
  return st == WaitStatus::kOk ? WaitStatus::kTimeout : st;
}

void Admission::Release() {
  if (head_ != nullptr) {
    Waiter* w = head_;
    Unlink(w);
    MutableStats().queued = --queued_;
    w->granted = true;
    w->event.set();  // the slot moves to the waiter: inflight_ unchanged
    return;
  }
  --inflight_;
  MutableStats().inflight = inflight_;
}

void Admission::Unlink(Waiter* w) {
  if (w->prev) w->prev->next = w->next;
  else head_ = w->next;
  if (w->next) w->next->prev = w->prev;
  else tail_ = w->prev;
  w->prev = w->next = nullptr;
}

}  // namespace spindle::server
