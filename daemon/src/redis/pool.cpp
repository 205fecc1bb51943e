// Pool (see pool.hpp).
#include "redis/pool.hpp"


#include <spindle/redis_errors.hpp>

#include "engine/slot_reconnects.hpp"

namespace spindle::redis::impl {

Pool::Pool(Shared& shared) : shared_(shared), rng_(std::random_device{}()) {
  for (size_t i = 0; i < shared_.config.pool_size; ++i) slots_.push_back(std::make_unique<Slot>());
}

Pool::~Pool() = default;

void Pool::Start() {
  for (size_t i = 0; i < slots_.size(); ++i) {
    Slot& slot = *slots_[i];
    slot.state = State::kConnecting;
    ++shared_.background_fibers;
    slot.fiber = spawn([this, &slot, i] { SlotLoop(slot, i); }, "redis-conn");
  }
}

void Pool::SlotLoop(Slot& slot, size_t index) {
  engine::SlotReconnects<Stats> reconnects("redis", shared_.address, shared_.stats,
                                           outage_logged_, index, false);
  while (!shared_.closing) {
    slot.state = State::kConnecting;
    Connection conn(shared_, &room_, "command");
    slot.conn = &conn;
    bool was_ready = false;
    if (conn.Open(Deadline::after(shared_.config.connect_timeout))) {
      was_ready = true;
      reconnects.Connected();
      slot.state = State::kReady;
      room_.notify_all();
      conn.Run();  // until the connection dies
      if (!shared_.closing) reconnects.Ended(conn.discarded(), conn.error());
    } else if (!shared_.closing) {
      last_error_ = conn.error();
      last_auth_failed_ = conn.auth_failed();
      reconnects.Failed(conn.error());  // one line per outage for the whole pool
    }
    slot.conn = nullptr;
    if (shared_.closing) break;
    // A connection dropped after a timeout (Redis is up but was slow) comes
    // back at once; any other loss or failure backs off.
    if (was_ready && conn.discarded()) continue;
    slot.state = State::kBackoff;
    room_.notify_all();  // waiters re-check: maybe every slot is down now
    (void)wake_.wait_until(Deadline::after(reconnects.Delay(shared_.config, rng_)));
  }
  slot.state = State::kClosed;
  --shared_.background_fibers;
  room_.notify_all();
}

void Pool::FailFast() {
  ++shared_.stats.errors;
  const std::string what = "redis '" + shared_.address + "' is unavailable: " + last_error_;
  if (last_auth_failed_) throw AuthFailed(shared_.address, what);
  throw Unavailable(shared_.address, what);
}

Connection* Pool::Acquire(Deadline deadline) {
  bool waited = false;
  Deadline wait_deadline;
  for (;;) {
    if (shared_.closing) {
      ++shared_.stats.errors;
      throw Unavailable(shared_.address, "redis client for '" + shared_.address + "' is closed");
    }
    Connection* best = nullptr;
    bool pending = false;
    for (auto& s : slots_) {
      if (s->state == State::kConnecting) pending = true;
      Connection* c = s->conn;
      if (c == nullptr || !c->usable()) continue;
      if (c->in_flight() >= shared_.config.max_in_flight) {
        pending = true;
      } else {
        // Fill first: the first usable connection carries the pipeline (the
        // biggest batches: measured ~1.5x the throughput of spreading over
        // two); the others take over when it is full, discarded or lost.
        best = c;
        break;
      }
    }
    if (best != nullptr) return best;
    if (!pending) FailFast();
    if (!waited) {
      waited = true;
      ++shared_.stats.pool_waits;
      wait_deadline = Deadline::earliest(deadline,
                                         Deadline::after(shared_.config.pool_wait_timeout));
    }
    const WaitStatus st = room_.wait_until(wait_deadline);
    if (st == WaitStatus::kCancelled) {
      ++shared_.stats.errors;
      throw Cancelled();
    }
    if (st == WaitStatus::kTimeout) {
      ++shared_.stats.pool_wait_timeouts;
      ++shared_.stats.errors;
      if (deadline.passed()) {
        ++shared_.stats.timeouts;
        throw Timeout(shared_.address, "redis '" + shared_.address +
                                           "': deadline passed while waiting for a connection");
      }
      throw Unavailable(shared_.address,
                        "redis '" + shared_.address + "': no connection became usable within " +
                            std::to_string(shared_.config.pool_wait_timeout.count()) +
                            " ms (last error: " + last_error_ + ")");
    }
  }
}

void Pool::Close() {
  for (auto& s : slots_) {
    if (s->conn != nullptr) s->conn->Discard("client closed");
  }
  wake_.notify_all();
  room_.notify_all();
  for (auto& s : slots_) {
    if (s->fiber.joinable()) s->fiber.join();
  }
}

size_t Pool::ready_connections() const noexcept {
  size_t n = 0;
  for (const auto& s : slots_) n += (s->conn != nullptr && s->conn->usable()) ? 1 : 0;
  return n;
}

size_t Pool::in_flight() const noexcept {
  size_t n = 0;
  for (const auto& s : slots_) n += s->conn != nullptr ? s->conn->in_flight() : 0;
  return n;
}

}  // namespace spindle::redis::impl
