// lifecycle.cpp: draining() and DrainWake (<spindle/lifecycle.hpp>) and the
// worker's BeginDraining() (draining.hpp). The state is per thread: a
// worker is one thread running one scheduler.
#include <spindle/lifecycle.hpp>

#include "engine/fiber_deadline.hpp"
#include "server/draining.hpp"

namespace spindle {
namespace {

thread_local bool tl_draining = false;
thread_local DrainWake* tl_wakes = nullptr;

}  // namespace

bool draining() noexcept { return tl_draining; }

DrainWake::DrainWake() : fiber_(engine::CurrentFiber()) {
  engine::SetInterruptible(fiber_, true);
  if (tl_draining) {
    engine::InterruptFiber(fiber_);
    return;  // not linked: the drain has already begun
  }
  next_ = tl_wakes;
  if (next_) next_->prev_ = this;
  tl_wakes = this;
}

DrainWake::~DrainWake() {
  engine::SetInterruptible(fiber_, false);
  if (tl_wakes != this && prev_ == nullptr) return;  // never linked, or unlinked by the drain
  if (prev_) prev_->next_ = next_;
  else tl_wakes = next_;
  if (next_) next_->prev_ = prev_;
}

// Unlinks every DrainWake as it interrupts its fiber: each wakes once.
void BeginDrainWakes() noexcept {
  while (DrainWake* w = tl_wakes) {
    tl_wakes = w->next_;
    if (tl_wakes) tl_wakes->prev_ = nullptr;
    w->prev_ = w->next_ = nullptr;
    engine::InterruptFiber(w->fiber_);
  }
}

namespace server {

void BeginDraining() noexcept {
  tl_draining = true;
  BeginDrainWakes();
}

}  // namespace server
}  // namespace spindle
