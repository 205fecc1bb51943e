// Listener: the one LISTEN connection of a client on its scheduler (outside
// the query pool, so a flood of queries never delays a notification and a
// transaction never holds it), and the fan-out of its notifications to every
// Subscription. A channel is LISTENed once however many Subscriptions want
// it (a refcount) and UNLISTENed when the last one goes. A slot fiber
// connects, LISTENs to everything wanted again, runs the reader (which drains
// PQnotifies after every read), and reconnects with back-off.
//
// Fiber contract: the client's scheduler only. Listen and Close may
// suspend; Unlisten never does.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include <spindle/channel.hpp>
#include <spindle/deadline.hpp>
#include <spindle/fiber.hpp>
#include <spindle/pg_listen.hpp>
#include <spindle/wait_list.hpp>

#include "pg/connection.hpp"
#include "pg/shared.hpp"

namespace spindle::pg::impl {

class Listener;

struct SubscriptionState {
  explicit SubscriptionState(size_t capacity) : channel(capacity) {}
  Channel<Notification> channel;
  std::string name;
  Listener* owner = nullptr;  // null once unlistened or the client closed
  uint64_t dropped = 0;
};

class Listener {
 public:
  explicit Listener(Shared& shared);
  ~Listener();
  Listener(const Listener&) = delete;
  Listener& operator=(const Listener&) = delete;

  // May suspend until the server confirmed LISTEN (or the deadline). Throws
  // Unavailable (the connection is down), Timeout or Cancelled.
  std::shared_ptr<SubscriptionState> Listen(std::string channel, Deadline deadline);
  // Never suspends. Drops the state's interest; closes its channel.
  void Unlisten(SubscriptionState* state) noexcept;
  // May suspend: closes every subscription's channel, the connection, and
  // joins the slot fiber.
  void Close();

  size_t subscriptions() const noexcept { return live_; }

 private:
  struct Entry {
    std::vector<SubscriptionState*> subs;
    bool confirmed = false;  // LISTEN answered on the current connection
  };
  void SlotLoop();
  void Deliver(struct pg_conn* pg);
  // Queues LISTEN/UNLISTEN for `channel`; the result is dropped. False when
  // the connection is not usable.
  bool SendDetached(const std::string& verb, const std::string& channel);

  enum class State { kIdle, kConnecting, kReady, kBackoff, kClosed };

  Shared& shared_;
  State state_ = State::kIdle;
  Connection* conn_ = nullptr;
  std::map<std::string, Entry, std::less<>> channels_;
  size_t live_ = 0;
  std::vector<SubscriptionState*> states_;  // every live state (for Close)
  std::string last_error_ = "not connected yet";
  spindle::WaitList room_;     // the connection's pipeline room (unused)
  spindle::WaitList changed_;  // the connection became ready or went down
  spindle::WaitList wake_;     // the slot fiber backing off
  Fiber fiber_;
  std::mt19937 rng_;
};

// "name" quoted as an SQL identifier ("a""b" for a"b).
std::string QuoteIdentifier(std::string_view name);

}  // namespace spindle::pg::impl
