// lifecycle.hpp: what an app can know about its worker's life (public app
// API): whether the worker has begun to drain, and a way for a long wait (a
// long poll, an event stream) to be woken when it does. The other half, a
// hook that runs when the worker stops, is AppContext::on_shutdown.
//
// A worker drains on a reload (its replacement is already serving) and on
// a stop: it accepts no more connections and finishes the requests it has,
// up to drain_timeout. A long poll or an event stream that keeps waiting
// holds the reload for its whole timeout; one that ends when the drain
// begins lets the old worker exit at once (the client reconnects, to the
// new worker).
//
// Fiber contract: the worker's thread only; nothing here suspends.
#pragma once

namespace spindle {

namespace engine {
class FiberContext;
}

// True once this worker has begun to drain. False outside a worker.
bool draining() noexcept;

// Makes the waits in its scope end when the drain begins: while a
// DrainWake lives, the beginning of the drain ends the fiber's current wait
// in the scope, or its next one if it is not waiting at that moment, as if
// the wait's deadline had passed: Channel::pop_until and
// Subscription::pop_until return kTimeout, Event::wait_until returns
// kTimeout, sleep_for returns early. Check draining() after a timeout and
// answer. Created once the drain has begun, it ends its first wait at once.
// Scope it around the one wait that may last (wake_on_drain does that): a
// Redis or PostgreSQL call inside the scope would end as a timeout too.
// Create and destroy it in the fiber that waits; it nests.
class DrainWake {
 public:
  DrainWake();
  ~DrainWake();
  DrainWake(const DrainWake&) = delete;
  DrainWake& operator=(const DrainWake&) = delete;

 private:
  friend void BeginDrainWakes() noexcept;
  engine::FiberContext* fiber_;
  DrainWake* prev_ = nullptr;
  DrainWake* next_ = nullptr;
};

// Runs `wait()` (one wait: a pop_until, a wait_until, a sleep) inside a
// DrainWake and returns what it returns:
//   auto st = spindle::wake_on_drain([&] { return sub.pop_until(m, deadline); });
//   if (st == ChannelStatus::kTimeout && spindle::draining()) ...answer now...
template <class Wait>
auto wake_on_drain(Wait&& wait) -> decltype(wait()) {
  DrainWake scope;
  return wait();
}

}  // namespace spindle
