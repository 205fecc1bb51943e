// Client, Queries and Transaction: the public handles (see pg_client.hpp);
// they forward to ClientCore.
#include <spindle/pg_client.hpp>

#include "pg/client_core.hpp"
#include "engine/fiber_deadline.hpp"

namespace spindle::pg {

Result Queries::Run(bool prepared, std::string_view text, const Param* params, size_t n) const {
  return core_->Run(prepared, text, params, n, cap_, pin_.get(), alone_);
}

Client::Client(Config config)
    : Queries(std::make_shared<impl::ClientCore>(std::move(config)), Deadline::never(), nullptr) {}

Client::~Client() = default;

const Config& Client::config() const noexcept { return core_->shared().config; }

Client Client::until(Deadline deadline) const {
  return Client(core_, Deadline::earliest(cap_, deadline), alone_);
}

Client Client::alone() const { return Client(core_, cap_, true); }

void Client::prepare(std::string name, std::string sql) const {
  core_->Prepare(std::move(name), std::move(sql));
}

Transaction Client::transaction(Isolation isolation) const {
  return Transaction(core_, cap_, core_->Begin(isolation, cap_));
}

Subscription Client::listen(std::string channel) const {
  const Deadline d = engine::CappedDeadline(cap_, config().query_timeout);
  return Subscription(core_->listener().Listen(std::move(channel), d));
}

void Client::notify(std::string_view channel, std::string_view payload) const {
  (void)exec("SELECT pg_notify($1, $2)", channel, payload);
}

Stats Client::stats() const { return core_->GetStats(); }

void Client::close() const { core_->Close(); }

Transaction::~Transaction() {
  if (pin_ && pin_->active) core_->Abort(*pin_);
}

void Transaction::End(const char* sql) {
  if (!pin_) throw std::logic_error("postgres transaction was moved from");
  core_->End(*pin_, sql, cap_);
}

void Transaction::commit() { End("COMMIT"); }

void Transaction::rollback() {
  if (pin_ && !pin_->active) return;
  End("ROLLBACK");
}

bool Transaction::active() const noexcept { return pin_ && pin_->active; }

}  // namespace spindle::pg
