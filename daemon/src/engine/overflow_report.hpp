// overflow_report.hpp: says which fiber overflowed its stack. A fiber that
// runs past its stack hits the guard page below it and the worker dies on
// SIGSEGV; without this, all the operator sees is the master's "worker
// killed by signal 11". The handler runs on an alternate signal stack (the
// fiber's own is exhausted), writes one line to stderr naming the fiber
// (handler fibers are named after their route, "GET /users/{id}") and the
// stack size, then hands the fault to whatever handler was installed before
// (a sanitizer's) or to the default action, which kills the process, so the
// master respawns the worker as before.
//
// Thread contract: InstallOverflowReport() on each thread that runs a
// scheduler, before its first fiber; the handler itself only reads the
// thread's own scheduler state and calls write(2).
#pragma once

namespace spindle::engine {

void InstallOverflowReport() noexcept;

}  // namespace spindle::engine
