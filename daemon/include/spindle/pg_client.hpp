// Client: PostgreSQL from fibers. Calls look blocking but park only the
// calling fiber; statements from concurrent fibers are pipelined (libpq
// pipeline mode) over a few connections per worker, driven by our libpq
// adapter on the worker's reactor.
//
//   spindle::pg::Client pg(cfg);                         // no I/O yet
//   auto r = pg.exec("SELECT name FROM users WHERE id = $1", 42);
//   pg.prepare("world", "SELECT id, randomnumber FROM world WHERE id = $1");
//   auto w = pg.execute("world", 17);                   // prepared once per connection
//   auto tx = pg.transaction();                         // a pinned connection
//   tx.exec("UPDATE accounts SET n = n - 1 WHERE id = $1", a);
//   tx.commit();                                        // else rolled back
//   auto sub = pg.listen("chat");                       // LISTEN; sub.pop(n)
//   pg.until(request_deadline).exec(...);               // never past the request
//
// Fiber contract: every call that talks to the server may suspend and must
// run in a fiber of the scheduler that first used the client (one Client per
// worker; using it from another scheduler throws std::logic_error). Each call
// has a deadline: now + config.query_timeout, capped by until(). On failure
// calls throw a spindle::pg::Error (pg_errors.hpp); on cancellation of the
// calling fiber they throw spindle::Cancelled. A statement whose caller timed
// out or was cancelled while it ran is cancelled on the server; the
// connection is never left in an unknown state for the next fiber.
//
// One statement per call (pipeline mode has no multi-statement strings), each
// in its own implicit transaction: a failing statement fails only its own
// fiber. BEGIN/COMMIT/ROLLBACK are refused outside transaction(), which pins a
// connection so that its statements run alone on it.
//
// A Client is a cheap, copyable handle; copies share the pool. close() (or
// destroying the last handle, in a fiber) ends the client's own fibers.
#pragma once

#include <array>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include <spindle/deadline.hpp>
#include <spindle/pg_config.hpp>
#include <spindle/pg_errors.hpp>
#include <spindle/pg_listen.hpp>
#include <spindle/pg_params.hpp>
#include <spindle/pg_result.hpp>
#include <spindle/pg_stats.hpp>

namespace spindle::pg {

namespace impl {
class ClientCore;
struct Pin;
}  // namespace impl

// The statements API that Client and Transaction share.
class Queries {
 public:
  // May suspend. One SQL statement with $1.. parameters (pg_params.hpp);
  // returns its rows (or its command tag and affected count). Throws
  // QueryError (the server's error), Unavailable, Timeout or Cancelled.
  template <class... Args>
  Result exec(std::string_view sql, const Args&... args) const {
    std::array<Param, sizeof...(Args)> params;
    size_t i = 0;
    (Encode(params[i++], args), ...);
    (void)i;
    return Run(false, sql, params.data(), params.size());
  }
  // May suspend. Runs the statement registered with Client::prepare(name,
  // sql); it is prepared on a connection the first time it runs there (in
  // the same round trip). Throws std::invalid_argument for an unknown name.
  template <class... Args>
  Result execute(std::string_view name, const Args&... args) const {
    std::array<Param, sizeof...(Args)> params;
    size_t i = 0;
    (Encode(params[i++], args), ...);
    (void)i;
    return Run(true, name, params.data(), params.size());
  }
  // The same with parameters built at run time (a std::vector<Param>(n) and
  // Encode(v[i], x)).
  Result exec_params(std::string_view sql, std::span<const Param> params) const {
    return Run(false, sql, params.data(), params.size());
  }
  Result execute_params(std::string_view name, std::span<const Param> params) const {
    return Run(true, name, params.data(), params.size());
  }

 protected:
  Queries(std::shared_ptr<impl::ClientCore> core, Deadline cap, std::shared_ptr<impl::Pin> pin,
          bool alone = false)
      : core_(std::move(core)), cap_(cap), pin_(std::move(pin)), alone_(alone) {}
  Result Run(bool prepared, std::string_view text, const Param* params, size_t n) const;

  std::shared_ptr<impl::ClientCore> core_;
  Deadline cap_;
  std::shared_ptr<impl::Pin> pin_;  // a transaction's connection; null: the pool
  bool alone_ = false;              // Client::alone(): a Sync of its own per statement
};

enum class Isolation { kDefault, kReadCommitted, kRepeatableRead, kSerializable };

// A transaction on a pinned connection: its statements run alone on it, in
// order. Ends with commit() or rollback(); otherwise it is rolled back when
// the Transaction is destroyed (scope end, an exception, the fiber
// cancelled) without suspending: the ROLLBACK is queued on the connection
// before the connection goes back to the pool.
class Transaction : public Queries {
 public:
  Transaction(Transaction&&) noexcept = default;
  Transaction& operator=(Transaction&&) = delete;
  Transaction(const Transaction&) = delete;
  ~Transaction();

  // May suspend. Throws QueryError (e.g. 40001 serialization_failure: the
  // transaction is then over, rolled back), Unavailable, Timeout, Cancelled;
  // after any of them the transaction is over.
  void commit();
  // May suspend. Never throws for a connection that is gone (that rolled it
  // back too).
  void rollback();
  bool active() const noexcept;

 private:
  friend class Client;
  Transaction(std::shared_ptr<impl::ClientCore> core, Deadline cap,
              std::shared_ptr<impl::Pin> pin)
      : Queries(std::move(core), cap, std::move(pin)) {}
  void End(const char* sql);
};

class Client : public Queries {
 public:
  explicit Client(Config config);
  ~Client();
  Client(const Client&) = default;
  Client& operator=(const Client&) = default;
  Client(Client&&) noexcept = default;
  Client& operator=(Client&&) noexcept = default;

  const Config& config() const noexcept;

  // A handle on the same pool whose calls never run past `deadline` (the
  // earlier of it and any cap this handle already has). Never suspends.
  Client until(Deadline deadline) const;

  // A handle on the same pool whose statements each run in an implicit
  // transaction of their own: still pipelined, but never between the same
  // two Syncs as other fibers' statements, so the row locks a statement
  // takes are released when it ends, not when a whole batch does. Use it
  // for writes to rows other requests write too (an UPDATE of rows in id
  // order can then not deadlock with another such UPDATE; two of them in
  // one batch could). Costs a commit per statement. Never suspends.
  Client alone() const;

  // Registers a named statement for execute(). Never suspends. Registering
  // a name again with the same SQL is a no-op; with other SQL it throws
  // std::invalid_argument.
  void prepare(std::string name, std::string sql) const;

  // May suspend: waits (bounded by the pool wait) for a connection with
  // nothing in flight, pins it and sends BEGIN. Throws like exec().
  Transaction transaction(Isolation isolation = Isolation::kDefault) const;

  // May suspend until the server confirmed LISTEN. Notifications then
  // arrive on the Subscription; the client listens again by itself after a
  // reconnect. Throws Unavailable, Timeout or Cancelled.
  Subscription listen(std::string channel) const;
  // May suspend. NOTIFY channel, payload (pg_notify()).
  void notify(std::string_view channel, std::string_view payload) const;

  // A snapshot of the counters and gauges. Never suspends.
  Stats stats() const;

  // May suspend (briefly). Fails every call in flight with Unavailable,
  // closes every subscription's channel, closes the connections and joins
  // the client's fibers. Later calls throw Unavailable. Idempotent.
  void close() const;

 private:
  Client(std::shared_ptr<impl::ClientCore> core, Deadline cap, bool alone)
      : Queries(std::move(core), cap, nullptr, alone) {}
};

}  // namespace spindle::pg
