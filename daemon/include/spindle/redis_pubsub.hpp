// Subscription: a fiber's view of Redis Pub/Sub. Client::subscribe() /
// psubscribe() return one; its messages arrive on a Channel. Every
// subscription of a worker shares one subscriber connection; a channel is
// subscribed on Redis once however many fibers listen, and unsubscribed when
// the last Subscription for it is destroyed. After a reconnect the client
// subscribes again by itself (messages published while it was down are lost,
// as with any Redis subscriber).
//
// Fiber contract: pop() may suspend and runs in a fiber of the client's
// scheduler; destroying or reset() never suspends. A full subscription
// (config.subscription_capacity) drops new messages and counts them.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include <spindle/channel.hpp>
#include <spindle/deadline.hpp>

namespace spindle::redis {

namespace impl {
struct SubscriptionState;
}

struct Message {
  std::string channel;
  std::string payload;
  std::string pattern;  // the matching pattern (psubscribe), else empty
};

class Subscription {
 public:
  Subscription() = default;
  Subscription(Subscription&&) noexcept = default;
  Subscription& operator=(Subscription&& other) noexcept;
  ~Subscription();

  // May suspend. kSuccess, kTimeout, kCancelled, or kClosed once the client
  // was closed (or this subscription reset) and the buffer is drained.
  ChannelStatus pop(Message& out) { return pop_until(out, Deadline::never()); }
  ChannelStatus pop_for(Message& out, Clock::duration d) {
    return pop_until(out, Deadline::after(d));
  }
  ChannelStatus pop_until(Message& out, Deadline deadline);
  // The underlying channel (for select-like use with try_pop).
  Channel<Message>& channel();
  // Messages dropped because this subscription's buffer was full.
  uint64_t dropped() const noexcept;
  bool active() const noexcept { return state_ != nullptr; }
  // Unsubscribes now (never suspends) and closes the channel.
  void reset() noexcept;

 private:
  friend class Client;
  explicit Subscription(std::shared_ptr<impl::SubscriptionState> state)
      : state_(std::move(state)) {}
  std::shared_ptr<impl::SubscriptionState> state_;
};

}  // namespace spindle::redis
