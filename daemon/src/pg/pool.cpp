// Pool (see pool.hpp).
#include "pg/pool.hpp"

#include <cstdint>


#include <spindle/fiber.hpp>
#include <spindle/pg_errors.hpp>

#include "engine/slot_reconnects.hpp"
#include "pg/transaction_pin.hpp"

namespace spindle::pg::impl {

Pool::Pool(Shared& shared) : shared_(shared), rng_(std::random_device{}()) {
  for (size_t i = 0; i < shared_.config.pool_size; ++i) slots_.push_back(std::make_unique<Slot>());
}

Pool::~Pool() = default;

void Pool::Start() {
  for (size_t i = 0; i < slots_.size(); ++i) {
    Slot& slot = *slots_[i];
    slot.state = State::kConnecting;
    ++shared_.background_fibers;
    slot.fiber = spawn([this, &slot, i] { SlotLoop(slot, i); }, "pg-conn");
  }
}

void Pool::SlotLoop(Slot& slot, size_t index) {
  engine::SlotReconnects<Stats> reconnects("postgres", shared_.name(), shared_.stats,
                                           outage_logged_, index, true);
  while (!shared_.closing) {
    slot.state = State::kConnecting;
    Connection conn(shared_, &room_, "query", &idle_);
    slot.conn = &conn;
    bool was_ready = false;
    if (conn.Open(Deadline::after(shared_.config.connect_timeout))) {
      was_ready = true;
      reconnects.Connected();
      slot.state = State::kReady;
      NotifyRoom(SIZE_MAX);
      conn.Run();  // until the connection dies
      if (!shared_.closing) reconnects.Ended(conn.discarded(), conn.error());
    } else if (!shared_.closing) {
      last_error_ = conn.error();
      last_auth_failed_ = conn.auth_failed();
      reconnects.Failed(conn.error());
    }
    slot.conn = nullptr;
    if (shared_.closing) break;
    // A connection dropped on purpose (the server is up) comes back at
    // once; any other loss or failure backs off.
    if (was_ready && conn.discarded()) continue;
    slot.state = State::kBackoff;
    NotifyRoom(SIZE_MAX);  // waiters re-check: maybe every slot is down now
    (void)wake_.wait_until(Deadline::after(reconnects.Delay(shared_.config, rng_)), false);
  }
  slot.state = State::kClosed;
  --shared_.background_fibers;
  NotifyRoom(SIZE_MAX);
}

void Pool::FailFast() {
  ++shared_.stats.errors;
  const std::string what = "postgres '" + shared_.name() + "' is unavailable: " + last_error_;
  if (last_auth_failed_) throw AuthFailed(shared_.name(), what);
  throw Unavailable(shared_.name(), what);
}

void Pool::CheckOpen() {
  if (shared_.closing) {
    ++shared_.stats.errors;
    throw Unavailable(shared_.name(), "postgres client for '" + shared_.name() + "' is closed");
  }
}

void Pool::WaitForRoom(Deadline deadline, bool& waited, Deadline& wait_deadline, bool full,
                       bool query) {
  if (query) ++query_waiters_;
  if (!waited) {
    waited = true;
    ++shared_.stats.pool_waits;
    wait_deadline =
        Deadline::earliest(deadline, Deadline::after(shared_.config.pool_wait_timeout));
  }
  const WaitStatus st = (query ? room_ : idle_).wait_until(wait_deadline);
  if (query) --query_waiters_;
  if (st == WaitStatus::kCancelled) {
    ++shared_.stats.errors;
    throw Cancelled();
  }
  if (st == WaitStatus::kTimeout) {
    ++shared_.stats.pool_wait_timeouts;
    ++shared_.stats.errors;
    if (deadline.passed()) {
      ++shared_.stats.timeouts;
      throw Timeout(shared_.name(), "postgres '" + shared_.name() +
                                        "': deadline passed while waiting for a connection");
    }
    const std::string why =
        full ? "every connection has max_in_flight (" +
                   std::to_string(shared_.config.max_in_flight) + ") statements in flight"
             : "last error: " + last_error_;
    throw Unavailable(shared_.name(),
                      "postgres '" + shared_.name() + "': no connection became usable within " +
                          std::to_string(shared_.config.pool_wait_timeout.count()) + " ms (" +
                          why + ")");
  }
}

Connection* Pool::Acquire(Deadline deadline) {
  bool waited = false;
  Deadline wait_deadline;
  for (;;) {
    CheckOpen();
    if (!waited && query_waiters_ > 0) {
      WaitForRoom(deadline, waited, wait_deadline, true, true);  // behind them
      continue;
    }
    Connection* best = nullptr;
    bool pending = false;
    bool full = false;
    for (auto& s : slots_) {
      if (s->state == State::kConnecting) pending = true;
      Connection* c = s->conn;
      if (c == nullptr || !c->usable()) continue;
      if (c->pin != nullptr || c->reserved || c->in_flight() >= shared_.config.max_in_flight) {
        pending = true;  // it will be free again
        full = full || c->in_flight() >= shared_.config.max_in_flight;
        continue;
      }
      if (best == nullptr || c->in_flight() < best->in_flight()) best = c;
    }
    if (best != nullptr) return best;
    if (!pending) FailFast();
    WaitForRoom(deadline, waited, wait_deadline, full, true);
  }
}

Connection* Pool::Pin(struct Pin* pin, Deadline deadline) {
  bool waited = false;
  Deadline wait_deadline;
  Connection* reserved = nullptr;
  struct Unreserve {
    Connection*& c;
    Pool& pool;
    ~Unreserve() {
      if (c != nullptr) {
        c->reserved = false;
        pool.NotifyRoom(pool.shared_.config.max_in_flight);
      }
    }
  } unreserve{reserved, *this};
  for (;;) {
    CheckOpen();
    // The connection we reserved may have died (its slot made a new one).
    bool alive = false;
    for (auto& s : slots_) alive = alive || (reserved != nullptr && s->conn == reserved);
    if (reserved != nullptr && (!alive || !reserved->usable())) {
      if (alive) reserved->reserved = false;
      reserved = nullptr;
    }
    if (reserved != nullptr && reserved->in_flight() == 0) {
      reserved->reserved = false;
      reserved->pin = pin;
      pin->conn = reserved;
      Connection* c = reserved;
      reserved = nullptr;
      return c;
    }
    bool pending = false;
    if (reserved == nullptr) {
      Connection* best = nullptr;
      for (auto& s : slots_) {
        if (s->state == State::kConnecting) pending = true;
        Connection* c = s->conn;
        if (c == nullptr || !c->usable()) continue;
        if (c->pin != nullptr || c->reserved) {
          pending = true;
          continue;
        }
        if (best == nullptr || c->in_flight() < best->in_flight()) best = c;
      }
      if (best != nullptr) {
        best->reserved = true;
        reserved = best;
        continue;  // it may be empty already
      }
      if (!pending) FailFast();
    }
    WaitForRoom(deadline, waited, wait_deadline, false, false);
  }
}

void Pool::Unpin(Connection* conn) noexcept {
  conn->pin = nullptr;
  NotifyRoom(shared_.config.max_in_flight);  // an empty pipeline's worth
}

void Pool::NotifyRoom(size_t n) noexcept {
  for (size_t i = 0; i < n && room_.notify_one(); ++i) {
  }
  idle_.notify_all();
}

void Pool::Close() {
  for (auto& s : slots_) {
    if (s->conn != nullptr) s->conn->Discard("client closed");
  }
  wake_.notify_all();
  NotifyRoom(SIZE_MAX);
  for (auto& s : slots_) {
    if (s->fiber.joinable()) s->fiber.join();
  }
}

size_t Pool::ready_connections() const noexcept {
  size_t n = 0;
  for (const auto& s : slots_) n += (s->conn != nullptr && s->conn->usable()) ? 1 : 0;
  return n;
}

size_t Pool::pinned_connections() const noexcept {
  size_t n = 0;
  for (const auto& s : slots_) n += (s->conn != nullptr && s->conn->pin != nullptr) ? 1 : 0;
  return n;
}

size_t Pool::in_flight() const noexcept {
  size_t n = 0;
  for (const auto& s : slots_) n += s->conn != nullptr ? s->conn->in_flight() : 0;
  return n;
}

}  // namespace spindle::pg::impl
