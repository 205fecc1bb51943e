// Subscription: a fiber's view of PostgreSQL LISTEN/NOTIFY. Client::listen()
// returns one; notifications arrive on a Channel. Every subscription of a
// worker shares one listener connection (outside the query pool); a channel
// is LISTENed once however many fibers wait on it, and UNLISTENed when the
// last Subscription for it goes. After a reconnect the client listens again
// by itself (notifications sent while it was down are lost, as with any
// PostgreSQL listener).
//
// Fiber contract: pop() may suspend and runs in a fiber of the client's
// scheduler; destroying or reset() never suspends. A full subscription
// (config.notification_capacity) drops new notifications and counts them.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include <spindle/channel.hpp>
#include <spindle/deadline.hpp>

namespace spindle::pg {

namespace impl {
struct SubscriptionState;
}

struct Notification {
  std::string channel;
  std::string payload;
  int backend_pid = 0;  // the notifying server process
};

class Subscription {
 public:
  Subscription() = default;
  Subscription(Subscription&&) noexcept = default;
  Subscription& operator=(Subscription&& other) noexcept;
  ~Subscription();

  // May suspend. kSuccess, kTimeout, kCancelled, or kClosed once the client
  // was closed (or this subscription reset) and the buffer is drained.
  ChannelStatus pop(Notification& out) { return pop_until(out, Deadline::never()); }
  ChannelStatus pop_for(Notification& out, Clock::duration d) {
    return pop_until(out, Deadline::after(d));
  }
  ChannelStatus pop_until(Notification& out, Deadline deadline);
  Channel<Notification>& channel();
  uint64_t dropped() const noexcept;
  bool active() const noexcept { return state_ != nullptr; }
  // Stops listening now (never suspends) and closes the channel.
  void reset() noexcept;

 private:
  friend class Client;
  explicit Subscription(std::shared_ptr<impl::SubscriptionState> state)
      : state_(std::move(state)) {}
  std::shared_ptr<impl::SubscriptionState> state_;
};

}  // namespace spindle::pg
