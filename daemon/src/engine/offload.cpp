// offload_call, the non-template half of offload(): see
// <spindle/offload.hpp>. Called on the scheduler thread.
#include <spindle/offload.hpp>

#include "engine/scheduler_impl.hpp"

namespace spindle {

void offload_call(void (*run)(void*) noexcept, void* arg) {
  engine::SchedulerImpl* sched = engine::SchedulerImpl::Current();
  if (sched == nullptr || !sched->InFiber() || sched->Running()->unwinding) {
    run(arg);
    return;
  }
  sched->Offload(run, arg);
}

}  // namespace spindle
