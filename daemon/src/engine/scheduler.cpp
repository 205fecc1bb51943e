// Scheduler: the public face of engine::SchedulerImpl. See
// <spindle/scheduler.hpp>.
#include <spindle/scheduler.hpp>

#include "engine/scheduler_impl.hpp"

namespace spindle {

Scheduler::Scheduler(SchedulerOptions options)
    : impl_(std::make_unique<engine::SchedulerImpl>(std::move(options))) {
  impl_->set_owner(this);
}

Scheduler::~Scheduler() = default;

void Scheduler::run(std::function<void()> main_fn) {
  impl_->Run(std::move(main_fn));
}

void Scheduler::stop() { impl_->Stop(); }

Scheduler* Scheduler::current() noexcept {
  engine::SchedulerImpl* s = engine::SchedulerImpl::Current();
  return s ? s->owner() : nullptr;
}

size_t Scheduler::fibers_alive() const noexcept { return impl_->fibers_alive(); }
size_t Scheduler::stack_bytes_in_use() const noexcept { return impl_->stack_bytes_in_use(); }
size_t Scheduler::offload_queue_depth() const noexcept { return impl_->offload_queue_depth(); }
uint64_t Scheduler::slow_slices() const noexcept { return impl_->slow_slices(); }
uint64_t Scheduler::switches() const noexcept { return impl_->switches(); }
const SchedulerOptions& Scheduler::options() const noexcept { return impl_->options(); }

}  // namespace spindle
