// fiber_deadline.hpp: two per-fiber facilities the server lends the clients
// and apps, inside libspindle only:
//  - the inherited deadline: a request handler's fiber carries its request's
//    deadline (Request::deadline()), and every Redis and PostgreSQL call made
//    from that fiber is capped by it, as if called through until(deadline);
//  - interrupting: while a fiber is inside an interruptible scope, ending
//    its current wait early, as if its deadline had passed (the wait returns
//    kTimeout; a sleep returns early), or its next wait in the scope when it
//    is not waiting now. The drain uses it to wake long polls and event
//    streams that asked for it (<spindle/lifecycle.hpp>, DrainWake). Unlike
//    cancellation it is a one-time nudge, and only for the waits the scope
//    covers (never a Redis call elsewhere in the handler).
//
// Thread contract: the scheduler's own thread only; never suspends.
#pragma once

#include <spindle/deadline.hpp>

namespace spindle::engine {

class FiberContext;

// The running fiber's inherited deadline; never outside a fiber.
Deadline InheritedDeadline() noexcept;
// Sets it for the running fiber (no-op outside a fiber). Fibers it spawns
// start with none.
void SetInheritedDeadline(Deadline deadline) noexcept;

// A client call's deadline: `timeout` from now, capped by the handle's
// `cap` (until()) and by the running fiber's inherited deadline.
inline Deadline CappedDeadline(Deadline cap, Clock::duration timeout) noexcept {
  return Deadline::earliest(Deadline::earliest(cap, InheritedDeadline()),
                            Deadline::after(timeout));
}

// The running fiber (nullptr outside a fiber), valid until it ends.
FiberContext* CurrentFiber() noexcept;
// Enters (on) or leaves (off) an interruptible scope of `fc` (the running
// fiber); scopes nest. Leaving the last one drops an interrupt not yet used.
void SetInterruptible(FiberContext* fc, bool on) noexcept;
// Interrupts `fc` (see above); no-op outside an interruptible scope and
// once it has ended.
void InterruptFiber(FiberContext* fc) noexcept;

}  // namespace spindle::engine
