// ClientCore: what the Client handles share: the config and counters, and,
// once a fiber first uses the client, the pool and the listener bound to that
// fiber's scheduler. Runs the calls (check, acquire, send, await) and the
// transactions' begin/end.
//
// Fiber contract: bound to the first scheduler that uses it; calls may
// suspend and must run in its fibers (std::logic_error otherwise). Abort()
// never suspends.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include <spindle/deadline.hpp>
#include <spindle/pg_client.hpp>
#include <spindle/pg_stats.hpp>
#include <spindle/scheduler.hpp>

#include "pg/listener.hpp"
#include "pg/live_stats.hpp"
#include "pg/pool.hpp"
#include "pg/shared.hpp"
#include "pg/transaction_pin.hpp"

namespace spindle::pg::impl {

class ClientCore {
 public:
  explicit ClientCore(Config config);
  ~ClientCore();

  Shared& shared() noexcept { return shared_; }

  // May suspend. One statement (SQL, or a registered name when `named`) on
  // the pool (between Syncs of its own when `alone`), or on the pinned
  // connection of `pin`.
  Result Run(bool named, std::string_view text, const Param* params, size_t n, Deadline cap,
             Pin* pin, bool alone = false, bool allow_transaction_control = false);
  void Prepare(std::string name, std::string sql);

  // May suspend. Pins a connection and sends BEGIN.
  std::shared_ptr<Pin> Begin(Isolation isolation, Deadline cap);
  // May suspend. COMMIT or ROLLBACK, then the connection goes back.
  void End(Pin& pin, const char* sql, Deadline cap);
  // Never suspends: queues ROLLBACK and gives the connection back.
  void Abort(Pin& pin) noexcept;

  Listener& listener();
  Stats GetStats() const;
  void Close();

 private:
  Pool& pool();
  void Bind();
  Deadline CallDeadline(Deadline cap);
  void Release(Pin& pin) noexcept;

  Shared shared_;
  Scheduler* scheduler_ = nullptr;
  std::unique_ptr<Pool> pool_;
  std::unique_ptr<Listener> listener_;
  bool closed_ = false;
};

}  // namespace spindle::pg::impl
