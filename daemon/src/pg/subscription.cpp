// Subscription (see pg_listen.hpp): a handle on a SubscriptionState that the
// Listener fans notifications into.
#include <spindle/pg_listen.hpp>

#include <stdexcept>

#include "pg/listener.hpp"

namespace spindle::pg {

Subscription& Subscription::operator=(Subscription&& other) noexcept {
  if (this != &other) {
    reset();
    state_ = std::move(other.state_);
  }
  return *this;
}

Subscription::~Subscription() { reset(); }

void Subscription::reset() noexcept {
  if (!state_) return;
  if (state_->owner != nullptr) {
    state_->owner->Unlisten(state_.get());
  } else {
    state_->channel.close();
  }
  state_.reset();
}

ChannelStatus Subscription::pop_until(Notification& out, Deadline deadline) {
  if (!state_) return ChannelStatus::kClosed;
  return state_->channel.pop_until(out, deadline);
}

Channel<Notification>& Subscription::channel() {
  if (!state_) throw std::logic_error("postgres subscription is empty");
  return state_->channel;
}

uint64_t Subscription::dropped() const noexcept { return state_ ? state_->dropped : 0; }

}  // namespace spindle::pg
