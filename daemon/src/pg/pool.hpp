// Pool: the pipelined connections of one client on one scheduler. Each slot
// has a fiber that connects, runs the connection's reader until it dies, and
// reconnects with back-off (and jitter) while the client is open. A new
// connection starts with no prepared statements; they are prepared again on
// first use, so a server restart needs nothing from the caller.
//
// Acquire() hands out the usable connection with the fewest statements in
// flight (each connection is one server process: spreading uses the
// server's cores), skipping those a transaction holds or waits for. When
// none is usable it fails fast if every slot is backing off (the server is
// down), and otherwise waits, bounded by config.pool_wait_timeout, for one to
// connect or to have room: never more connections than pool_size. Waiters
// are served in order (a new caller queues behind them).
// Pin() takes a connection for a transaction: the least loaded one is
// reserved (no new shared queries), and handed over once its pipeline is
// empty.
//
// Fiber contract: the client's scheduler only. Acquire, Pin and Close may
// suspend; Start and Unpin never do.
#pragma once

#include <memory>
#include <random>
#include <string>
#include <vector>

#include <spindle/deadline.hpp>
#include <spindle/fiber.hpp>
#include <spindle/wait_list.hpp>

#include "pg/connection.hpp"
#include "pg/shared.hpp"

namespace spindle::pg::impl {

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
  // May suspend like Acquire. The connection returned has nothing in flight
  // and `pin` set; give it back with Unpin.
  Connection* Pin(struct Pin* pin, Deadline deadline);
  // Never suspends.
  void Unpin(Connection* conn) noexcept;
  // May suspend: discards every connection and joins the slot fibers.
  void Close();

  size_t ready_connections() const noexcept;
  size_t pinned_connections() const noexcept;
  size_t in_flight() const noexcept;

 private:
  enum class State { kIdle, kConnecting, kReady, kBackoff, kClosed };
  struct Slot {
    State state = State::kIdle;
    Connection* conn = nullptr;
    Fiber fiber;
  };

  void SlotLoop(Slot& slot, size_t index);
  // Waits on room_ (an Acquire: counted in query_waiters_) or idle_ (a
  // Pin) for a change; throws when the wait fails (`full`: every usable
  // connection had max_in_flight statements in flight, for the message).
  void WaitForRoom(Deadline deadline, bool& waited, Deadline& wait_deadline, bool full,
                   bool query);
  // Wakes up to `n` Acquire waiters and every Pin waiter.
  void NotifyRoom(size_t n) noexcept;
  [[noreturn]] void FailFast();
  void CheckOpen();

  Shared& shared_;
  std::vector<std::unique_ptr<Slot>> slots_;
  spindle::WaitList room_;   // Acquire callers waiting for a usable connection with room
  spindle::WaitList idle_;   // Pin callers waiting for a connection to empty
  spindle::WaitList wake_;   // slot fibers backing off (woken by Close)
  std::string last_error_ = "not connected yet";
  bool last_auth_failed_ = false;
  bool outage_logged_ = false;
  // Callers of Acquire waiting in room_: while there are any, a new caller
  // queues behind them instead of taking the room a woken one was woken for.
  size_t query_waiters_ = 0;
  std::mt19937 rng_;
};

}  // namespace spindle::pg::impl
