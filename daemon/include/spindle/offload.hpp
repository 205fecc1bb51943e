// offload(fn): runs blocking or CPU-heavy code on the scheduler's small thread
// pool while only the calling fiber parks.
//
// Fiber contract: may suspend. It waits for fn to finish even when the fiber
// is cancelled (fn may reference the fiber's stack), so it is not a
// cancellation point. fn runs on another thread: it must not touch fibers or
// engine primitives of the calling scheduler. Outside a fiber, fn runs inline.
// Returns fn's result or rethrows its exception.
#pragma once

#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <type_traits>
#include <utility>

namespace spindle {

// The untyped primitive under offload(): runs run(arg) on the pool and
// parks the calling fiber until it returned (same contract as offload()).
// run must not throw. For code that cannot be a template (a C callback).
void offload_call(void (*run)(void*) noexcept, void* arg);

template <class F>
auto offload(F&& fn) -> std::invoke_result_t<F> {
  using R = std::invoke_result_t<F>;
  struct Call {
    F* fn;
    std::exception_ptr error;
    std::conditional_t<std::is_void_v<R>, bool,
                       std::optional<std::conditional_t<std::is_reference_v<R>,
                                                        std::remove_reference_t<R>*, R>>>
        result{};
    static void Run(void* self) noexcept {
      Call* c = static_cast<Call*>(self);
      try {
        if constexpr (std::is_void_v<R>) {
          std::invoke(std::forward<F>(*c->fn));
        } else if constexpr (std::is_reference_v<R>) {
          c->result.emplace(std::addressof(std::invoke(std::forward<F>(*c->fn))));
        } else {
          c->result.emplace(std::invoke(std::forward<F>(*c->fn)));
        }
      } catch (...) {
        c->error = std::current_exception();
      }
    }
  };
  Call call{&fn, nullptr};
  offload_call(&Call::Run, &call);
  if (call.error) std::rethrow_exception(call.error);
  if constexpr (std::is_void_v<R>) {
    return;
  } else if constexpr (std::is_reference_v<R>) {
    return static_cast<R>(**call.result);
  } else {
    return std::move(*call.result);
  }
}

}  // namespace spindle
