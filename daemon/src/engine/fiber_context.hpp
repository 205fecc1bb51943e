// FiberContext: the engine's record of one fiber (its suspended continuation,
// function, name, wait state and links into the run queue, timer heap and
// reactor). Records are pooled by their scheduler and only freed when it is
// destroyed, so the watchdog may read a record's name without racing a free.
//
// Thread contract: owned and touched only by its scheduler's thread, except
// `name`, which the watchdog thread reads under SchedulerImpl's name mutex.
#pragma once

#include <boost/context/fiber.hpp>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>

#include <spindle/deadline.hpp>
#include <spindle/wait_list.hpp>

#include "engine/exception_state.hpp"

namespace spindle::engine {

class SchedulerImpl;

// Lives on the waiting fiber's stack for the duration of one
// WaitList::wait_until().
struct WaitNode {
  WaitNode* prev = nullptr;
  WaitNode* next = nullptr;
  WaitList* list = nullptr;
  FiberContext* fiber = nullptr;
};

class FiberContext {
 public:
  enum class State : uint8_t { kReady, kRunning, kParked, kDone };
  static constexpr size_t kNoHeapIndex = static_cast<size_t>(-1);

  boost::context::fiber cont;  // empty while running or once done
  std::function<void()> fn;
  std::string name;
  SchedulerImpl* sched = nullptr;

  FiberContext* next_ready = nullptr;                   // run queue / free list
  FiberContext* all_prev = nullptr;                     // list of live fibers
  FiberContext* all_next = nullptr;
  WaitList joiners;                                     // join() parks here

  // The current wait (valid while state == kParked).
  WaitNode* wait_node = nullptr;                        // parked on a WaitList
  size_t heap_index = kNoHeapIndex;                     // armed timer
  Clock::time_point deadline{};
  int io_fd = -1;                                       // parked in wait_fd
  unsigned io_interest = 0;
  unsigned io_ready = 0;

  State state = State::kReady;
  WaitStatus wake_status = WaitStatus::kOk;
  bool cancellable = false;   // the current wait ends on cancel()
  bool cancelled = false;
  // Interrupting (fiber_deadline.hpp): inside how many interruptible scopes
  // it is, and whether an Interrupt() found it not waiting (its next wait in
  // the scope then ends at once).
  uint8_t interruptible = 0;
  bool wake_early = false;
  bool unwinding = false;     // being destroyed by ~Scheduler: never park
  bool is_dispatcher = false;
  bool started = false;       // its function has been entered
  int refs = 0;               // the scheduler while alive + a Fiber handle
  // The deadline Redis and PostgreSQL calls of this fiber inherit (a request
  // handler's, fiber_deadline.hpp); never by default.
  Clock::time_point inherited_deadline = Clock::time_point::max();

  // The C++ runtime's caught/uncaught exception state while switched out
  // (exception_state.hpp): a fiber may suspend inside a catch block.
  ExceptionState eh;

  // Stack bounds (for sanitizer annotations and diagnostics).
  void* stack_lo = nullptr;
  size_t stack_size = 0;
#if defined(__SANITIZE_ADDRESS__)
  void* asan_fake_stack = nullptr;
#endif
#if defined(__SANITIZE_THREAD__)
  void* tsan_fiber = nullptr;  // this fiber's TSan context (tsan_fiber.hpp)
#endif
};

}  // namespace spindle::engine
