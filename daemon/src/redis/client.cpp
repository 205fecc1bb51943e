// Client: the public handle (see redis_client.hpp); forwards to ClientCore.
#include <spindle/redis_client.hpp>
#include <spindle/redis_pipeline.hpp>
#include <spindle/redis_pubsub.hpp>

#include "redis/client_core.hpp"
#include "engine/fiber_deadline.hpp"

namespace spindle::redis {

Client::Client(Config config)
    : core_(std::make_shared<impl::ClientCore>(std::move(config))), cap_(Deadline::never()) {}

Client::~Client() = default;

const Config& Client::config() const noexcept { return core_->shared().config; }

Client Client::until(Deadline deadline) const {
  return Client(core_, Deadline::earliest(cap_, deadline));
}

Reply Client::command_argv(std::span<const std::string_view> argv) const {
  return core_->Command(argv, cap_);
}

Pipeline Client::pipeline() const { return Pipeline(*this); }

Transaction Client::transaction() const { return Transaction(*this); }

Subscription Client::subscribe(std::vector<std::string> channels) const {
  const Deadline d = engine::CappedDeadline(cap_, config().command_timeout);
  return Subscription(core_->subscriber().Subscribe(std::move(channels), false, d));
}

Subscription Client::psubscribe(std::vector<std::string> patterns) const {
  const Deadline d = engine::CappedDeadline(cap_, config().command_timeout);
  return Subscription(core_->subscriber().Subscribe(std::move(patterns), true, d));
}

Stats Client::stats() const { return core_->GetStats(); }

void Client::close() const { core_->Close(); }

}  // namespace spindle::redis
