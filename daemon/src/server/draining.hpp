// draining.hpp: the server's side of <spindle/lifecycle.hpp>: the worker
// calls BeginDraining() when its drain begins (worker.cpp), which makes
// draining() true and interrupts the waits of every live DrainWake.
//
// Fiber contract: the worker's thread; never suspends.
#pragma once

namespace spindle::server {

void BeginDraining() noexcept;

}  // namespace spindle::server
