// Pool: the command connections of one client on one scheduler. Each slot
// has a fiber that connects, runs the connection's reader until it dies,
// and reconnects with back-off (and jitter) while the client is open.
// Acquire() hands out the first usable connection with room (fewer than
// max_in_flight commands in flight), so concurrent fibers pipeline over it in
// big batches; the other connections take over at once when it is full,
// discarded after a timeout, or lost. When
// none is usable it fails fast if every slot is backing off (Redis is down),
// and otherwise waits, bounded by config.pool_wait_timeout, for one to
// connect or to have room: never more connections than pool_size.
//
// Fiber contract: the client's scheduler only. Acquire and Close may
// suspend; Start never does.
#pragma once

#include <memory>
#include <random>
#include <string>
#include <vector>

#include <spindle/deadline.hpp>
#include <spindle/fiber.hpp>
#include <spindle/wait_list.hpp>

#include "redis/connection.hpp"
#include "redis/shared.hpp"

namespace spindle::redis::impl {

class Pool {
 public:
  explicit Pool(Shared& shared);
  ~Pool();
  Pool(const Pool&) = delete;
  Pool& operator=(const Pool&) = delete;

  void Start();  // spawns the slot fibers
  // May suspend (pool wait). Throws Unavailable/AuthFailed, Timeout (the
  // call's deadline passed while waiting) or Cancelled.
  Connection* Acquire(Deadline deadline);
  // May suspend: discards every connection and joins the slot fibers.
  void Close();

  size_t ready_connections() const noexcept;
  size_t in_flight() const noexcept;

 private:
  enum class State { kIdle, kConnecting, kReady, kBackoff, kClosed };
  struct Slot {
    State state = State::kIdle;
    Connection* conn = nullptr;
    Fiber fiber;
  };

  void SlotLoop(Slot& slot, size_t index);
  [[noreturn]] void FailFast();

  Shared& shared_;
  std::vector<std::unique_ptr<Slot>> slots_;
  spindle::WaitList room_;   // callers waiting for a usable connection
  spindle::WaitList wake_;   // slot fibers backing off (woken by Close)
  std::string last_error_ = "not connected yet";
  bool last_auth_failed_ = false;
  bool outage_logged_ = false;  // a connect failure was logged since the last success
  std::mt19937 rng_;
};

}  // namespace spindle::redis::impl
