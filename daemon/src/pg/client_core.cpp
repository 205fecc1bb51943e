// ClientCore (see client_core.hpp).
#include "pg/client_core.hpp"
#include "engine/fiber_deadline.hpp"

#include <algorithm>
#include <cctype>
#include <mutex>
#include <stdexcept>
#include <vector>

#include <spdlog/spdlog.h>

#include <spindle/fiber.hpp>
#include <spindle/pg_errors.hpp>

#include "engine/client_binding.hpp"
#include "pg/query.hpp"

namespace spindle::pg::impl {
namespace {

// The first keyword of a statement, upper-cased, after blanks and comments.
std::string FirstKeyword(std::string_view sql) {
  size_t i = 0;
  for (;;) {
    while (i < sql.size() && std::isspace(static_cast<unsigned char>(sql[i]))) ++i;
    if (sql.substr(i, 2) == "--") {
      while (i < sql.size() && sql[i] != '\n') ++i;
    } else if (sql.substr(i, 2) == "/*") {
      const size_t end = sql.find("*/", i + 2);
      i = end == std::string_view::npos ? sql.size() : end + 2;
    } else {
      break;
    }
  }
  std::string word;
  while (i < sql.size() && std::isalpha(static_cast<unsigned char>(sql[i]))) {
    word += static_cast<char>(std::toupper(static_cast<unsigned char>(sql[i])));
    ++i;
  }
  return word;
}

bool IsTransactionControl(std::string_view sql) {
  static const char* const kWords[] = {"BEGIN", "START", "COMMIT", "END", "ROLLBACK", "ABORT"};
  const std::string w = FirstKeyword(sql);
  return std::any_of(std::begin(kWords), std::end(kWords), [&](const char* k) { return w == k; });
}

}  // namespace

Stats LiveClientsStats() {
  Stats sum;
  engine::LiveRegistry<ClientCore>::Instance().ForEach([&](const ClientCore& c) {
    Stats s = c.GetStats();
    sum.queries += s.queries;
    sum.errors += s.errors;
    sum.timeouts += s.timeouts;
    sum.reconnects += s.reconnects;
    sum.pool_waits += s.pool_waits;
    sum.connections_open += s.connections_open;
  });
  return sum;
}

ClientCore::ClientCore(Config config) : shared_((config.Validate(), std::move(config))) {
  engine::LiveRegistry<ClientCore>::Instance().Add(this);
}

ClientCore::~ClientCore() {
  engine::LiveRegistry<ClientCore>::Instance().Remove(this);
  if (closed_ || (!pool_ && !listener_)) return;
  if (Scheduler::current() == scheduler_) {
    try {
      Close();
      return;
    } catch (...) {
    }
  }
  spdlog::error("postgres client for '{}' destroyed outside its scheduler without close(); "
                "its connections are leaked", shared_.name());
  (void)pool_.release();
  (void)listener_.release();
}

void ClientCore::Bind() {
  if (engine::BindToCurrent(scheduler_, "postgres client")) engine::IgnoreSigpipeOnce();
}

Pool& ClientCore::pool() {
  Bind();
  if (!pool_) {
    if (closed_) {
      throw Unavailable(shared_.name(), "postgres client for '" + shared_.name() + "' is closed");
    }
    pool_ = std::make_unique<Pool>(shared_);
    pool_->Start();
  }
  return *pool_;
}

Listener& ClientCore::listener() {
  Bind();
  if (closed_) {
    throw Unavailable(shared_.name(), "postgres client for '" + shared_.name() + "' is closed");
  }
  if (!listener_) listener_ = std::make_unique<Listener>(shared_);
  return *listener_;
}

Deadline ClientCore::CallDeadline(Deadline cap) {
  // A request handler's calls are capped by its request's deadline too.
  const Deadline d = engine::CappedDeadline(cap, shared_.config.query_timeout);
  if (d.passed()) {
    ++shared_.stats.errors;
    ++shared_.stats.timeouts;
    throw Timeout(shared_.name(),
                  "postgres '" + shared_.name() + "': deadline passed before the call was sent");
  }
  return d;
}

void ClientCore::Prepare(std::string name, std::string sql) {
  if (name.empty()) throw std::invalid_argument("postgres prepare: empty statement name");
  auto it = shared_.statements.find(name);
  if (it != shared_.statements.end()) {
    if (it->second != sql) {
      throw std::invalid_argument("postgres prepare: statement '" + name +
                                  "' is already registered with other SQL");
    }
    return;
  }
  shared_.statements.emplace(std::move(name), std::move(sql));
}

Result ClientCore::Run(bool named, std::string_view text, const Param* params, size_t n,
                       Deadline cap, Pin* pin, bool alone, bool allow_transaction_control) {
  const Clock::time_point started = Clock::now();
  std::string key;
  if (named) {
    auto it = shared_.statements.find(text);
    if (it == shared_.statements.end()) {
      throw std::invalid_argument("postgres execute: no statement '" + std::string(text) +
                                  "' (register it with prepare())");
    }
    key = it->first;
    if (!allow_transaction_control && IsTransactionControl(it->second)) {
      throw std::invalid_argument("postgres: BEGIN/COMMIT/ROLLBACK go through transaction()");
    }
  } else {
    key.assign(text);
    if (!allow_transaction_control && IsTransactionControl(text)) {
      throw std::invalid_argument("postgres: BEGIN/COMMIT/ROLLBACK go through transaction()");
    }
  }
  const Deadline deadline = CallDeadline(cap);
  if (this_fiber::is_cancelled()) throw Cancelled();
  Connection* conn = nullptr;
  if (pin != nullptr) {
    Bind();
    if (!pin->active) throw std::logic_error("postgres transaction is over");
    conn = pin->conn;
    if (conn == nullptr) {
      ++shared_.stats.errors;
      throw Unavailable(shared_.name(), "postgres '" + shared_.name() +
                                            "': the transaction's connection was lost "
                                            "(the server rolled it back)");
    }
  } else {
    conn = pool().Acquire(deadline);
  }
  auto* op = new PendingQuery(named, std::move(key), params, n);
  if (!conn->Send(op, pin != nullptr || alone)) {
    delete op;
    ++shared_.stats.errors;
    throw Unavailable(shared_.name(), "postgres '" + shared_.name() + "': connection is closing");
  }
  return op->Await(shared_, deadline, started, op->key());
}

std::shared_ptr<Pin> ClientCore::Begin(Isolation isolation, Deadline cap) {
  const Deadline deadline = CallDeadline(cap);
  if (this_fiber::is_cancelled()) throw Cancelled();
  auto pin = std::make_shared<Pin>();
  pool().Pin(pin.get(), deadline);
  const char* sql = "BEGIN";
  switch (isolation) {
    case Isolation::kDefault: break;
    case Isolation::kReadCommitted: sql = "BEGIN ISOLATION LEVEL READ COMMITTED"; break;
    case Isolation::kRepeatableRead: sql = "BEGIN ISOLATION LEVEL REPEATABLE READ"; break;
    case Isolation::kSerializable: sql = "BEGIN ISOLATION LEVEL SERIALIZABLE"; break;
  }
  ++shared_.stats.transactions;
  try {
    (void)Run(false, sql, nullptr, 0, cap, pin.get(), false, true);
  } catch (...) {
    Abort(*pin);
    throw;
  }
  return pin;
}

void ClientCore::Release(Pin& pin) noexcept {
  pin.active = false;
  if (pin.conn != nullptr && pool_) {
    Connection* c = pin.conn;
    pin.conn = nullptr;
    pool_->Unpin(c);
  }
}

void ClientCore::End(Pin& pin, const char* sql, Deadline cap) {
  if (!pin.active) throw std::logic_error("postgres transaction is over");
  const bool rollback = sql[0] == 'R';
  if (rollback) ++shared_.stats.rollbacks;
  if (pin.conn == nullptr) {
    pin.active = false;
    if (rollback) return;  // the server rolled it back when the connection went
    ++shared_.stats.errors;
    throw Unavailable(shared_.name(), "postgres '" + shared_.name() +
                                          "': the transaction's connection was lost before "
                                          "COMMIT (the server rolled it back)");
  }
  try {
    (void)Run(false, sql, nullptr, 0, cap, &pin, false, true);
  } catch (const QueryError&) {
    Release(pin);  // a failed COMMIT ended the transaction on the server
    throw;
  } catch (const Unavailable&) {
    // The connection broke: the server rolled the transaction back, which
    // is all a ROLLBACK asked for.
    Release(pin);
    if (rollback) return;
    throw;
  } catch (...) {
    // Timed out or cancelled: whatever the server did with it, a ROLLBACK
    // behind it leaves the connection outside any transaction.
    if (rollback) --shared_.stats.rollbacks;
    Abort(pin);
    throw;
  }
  Release(pin);
}

void ClientCore::Abort(Pin& pin) noexcept {
  if (!pin.active) return;
  ++shared_.stats.rollbacks;
  if (pin.conn != nullptr) {
    auto* op = new PendingQuery(false, "ROLLBACK", nullptr, 0);
    if (pin.conn->Send(op, true)) {
      op->Detach();
    } else {
      delete op;
    }
  }
  Release(pin);
}

Stats ClientCore::GetStats() const {
  Stats s = shared_.stats;
  s.connections_open = shared_.connections_open;
  s.connections_ready = pool_ ? pool_->ready_connections() : 0;
  s.pinned = pool_ ? pool_->pinned_connections() : 0;
  s.in_flight = pool_ ? pool_->in_flight() : 0;
  s.subscriptions = listener_ ? listener_->subscriptions() : 0;
  s.background_fibers = shared_.background_fibers;
  return s;
}

void ClientCore::Close() {
  if (closed_) return;
  if ((pool_ || listener_) && Scheduler::current() != scheduler_) {
    throw std::logic_error("postgres client closed from another scheduler than its own");
  }
  closed_ = true;
  shared_.closing = true;
  if (listener_) listener_->Close();
  if (pool_) pool_->Close();
}

}  // namespace spindle::pg::impl
