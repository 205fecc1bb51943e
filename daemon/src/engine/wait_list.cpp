// WaitList implementation: see <spindle/wait_list.hpp>. Scheduler thread only.
#include <spindle/wait_list.hpp>

#include <stdexcept>

#include "engine/scheduler_impl.hpp"

namespace spindle {

using engine::FiberContext;
using engine::SchedulerImpl;
using engine::WaitNode;

WaitList::~WaitList() {
  while (WaitNode* node = PopFront()) node->fiber->sched->Wake(node->fiber, WaitStatus::kCancelled);
}

void WaitList::Append(WaitNode* node) noexcept {
  node->list = this;
  node->next = nullptr;
  node->prev = tail_;
  if (tail_) tail_->next = node;
  else head_ = node;
  tail_ = node;
}

void WaitList::Unlink(WaitNode* node) noexcept {
  if (node->list != this) return;
  if (node->prev) node->prev->next = node->next;
  else head_ = node->next;
  if (node->next) node->next->prev = node->prev;
  else tail_ = node->prev;
  node->prev = node->next = nullptr;
  node->list = nullptr;
}

WaitNode* WaitList::PopFront() noexcept {
  WaitNode* node = head_;
  if (node) Unlink(node);
  return node;
}

WaitStatus WaitList::wait_until(Deadline deadline, bool cancellable) {
  SchedulerImpl* sched = SchedulerImpl::Current();
  if (sched == nullptr || !sched->InFiber()) {
    throw std::logic_error("spindle: a blocking wait outside a fiber");
  }
  FiberContext* self = sched->Running();
  if (self->unwinding) return WaitStatus::kCancelled;  // being destroyed: never park
  if (cancellable && self->cancelled) return WaitStatus::kCancelled;
  if (!deadline.is_never() && Clock::now() >= deadline.time_point()) return WaitStatus::kTimeout;
  WaitNode node;
  node.fiber = self;
  Append(&node);
  self->wait_node = &node;
  return sched->Park(deadline, cancellable);
}

bool WaitList::notify_one() noexcept {
  while (WaitNode* node = PopFront()) {
    if (node->fiber->sched->Wake(node->fiber, WaitStatus::kOk)) return true;
  }
  return false;
}

size_t WaitList::notify_all() noexcept {
  size_t n = 0;
  while (WaitNode* node = PopFront()) {
    if (node->fiber->sched->Wake(node->fiber, WaitStatus::kOk)) ++n;
  }
  return n;
}

}  // namespace spindle
