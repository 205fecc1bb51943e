// Subscriber: the one Pub/Sub connection of a client on its scheduler, and
// the fan-out of its messages to every Subscription. A channel (or pattern)
// is subscribed on Redis once, however many Subscriptions want it (a
// refcount), and unsubscribed when the last one goes. A slot fiber connects,
// (re)subscribes everything wanted, runs the reader, and reconnects with
// back-off.
//
// hiredis 0.14 leaves subscribed mode (and would assert on the next
// subscribe reply) when a reply says "0 subscriptions left"; the connection
// therefore also holds one private anchor channel for its whole life.
//
// Fiber contract: the client's scheduler only. Subscribe and Close may
// suspend; Unsubscribe and the message callback never do.
#pragma once

#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

#include <spindle/channel.hpp>
#include <spindle/deadline.hpp>
#include <spindle/fiber.hpp>
#include <spindle/redis_pubsub.hpp>
#include <spindle/wait_list.hpp>

#include "redis/connection.hpp"
#include "redis/shared.hpp"

struct redisReply;

namespace spindle::redis::impl {

class Subscriber;

struct SubscriptionState {
  explicit SubscriptionState(size_t capacity) : channel(capacity) {}
  Channel<Message> channel;
  std::vector<std::string> names;
  bool pattern = false;
  Subscriber* owner = nullptr;  // null once unsubscribed or the client closed
  uint64_t dropped = 0;
};

class Subscriber {
 public:
  explicit Subscriber(Shared& shared);
  ~Subscriber();
  Subscriber(const Subscriber&) = delete;
  Subscriber& operator=(const Subscriber&) = delete;

  // May suspend until Redis confirmed every name (or the deadline). Throws
  // Unavailable (the connection is down), Timeout or Cancelled.
  std::shared_ptr<SubscriptionState> Subscribe(std::vector<std::string> names, bool pattern,
                                               Deadline deadline);
  // Never suspends. Drops the state's interest; closes its channel.
  void Unsubscribe(SubscriptionState* state) noexcept;
  // May suspend: closes every subscription's channel, the connection, and
  // joins the slot fiber.
  void Close();

  size_t subscriptions() const noexcept { return live_; }

 private:
  struct Entry {
    int refs = 0;
    bool confirmed = false;
    std::vector<SubscriptionState*> subs;
  };
  using Map = std::unordered_map<std::string, Entry>;

  static void OnPubSub(struct redisAsyncContext* ac, void* reply, void* privdata) noexcept;
  void HandleReply(const redisReply* r);
  void Deliver(Entry& e, const std::string& pattern, const std::string& channel,
               const std::string& payload);
  void SlotLoop();
  bool SendCommand(const char* verb, const std::vector<std::string>& names, bool with_callback);
  void ResubscribeAll();
  Map& map(bool pattern) { return pattern ? patterns_ : channels_; }

  enum class State { kIdle, kConnecting, kReady, kBackoff, kClosed };

  Shared& shared_;
  State state_ = State::kIdle;
  Connection* conn_ = nullptr;
  Map channels_;
  Map patterns_;
  std::string anchor_;
  size_t live_ = 0;
  std::vector<SubscriptionState*> states_;  // every live state (for Close)
  std::string last_error_ = "not connected yet";
  spindle::WaitList changed_;  // confirmations and state changes
  spindle::WaitList wake_;     // the slot fiber backing off
  Fiber fiber_;
  std::mt19937 rng_;
};

}  // namespace spindle::redis::impl
