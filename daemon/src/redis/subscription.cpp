// Subscription (see redis_pubsub.hpp): a handle on a SubscriptionState that
// the Subscriber fans messages into.
#include <spindle/redis_pubsub.hpp>

#include <stdexcept>

#include "redis/subscriber.hpp"

namespace spindle::redis {

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
    state_->owner->Unsubscribe(state_.get());
  } else {
    state_->channel.close();
  }
  state_.reset();
}

ChannelStatus Subscription::pop_until(Message& out, Deadline deadline) {
  if (!state_) return ChannelStatus::kClosed;
  return state_->channel.pop_until(out, deadline);
}

Channel<Message>& Subscription::channel() {
  if (!state_) throw std::logic_error("redis subscription is empty");
  return state_->channel;
}

uint64_t Subscription::dropped() const noexcept { return state_ ? state_->dropped : 0; }

}  // namespace spindle::redis
