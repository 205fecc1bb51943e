// SlotReconnects: the bookkeeping of one reconnecting pool slot, shared by
// the Redis and PostgreSQL pools (their slot loops connect, run the
// connection until it dies, and back off): the connect/reconnect/loss
// counters, the log lines (one error per outage for the whole pool, one
// "restored" when a slot that failed comes back) and the back-off delay.
// Stats is any struct with connects, reconnects, connect_failures and
// connections_lost; Config any with the reconnect_* keys (backoff.hpp).
//
// Fiber contract: the pool's scheduler only; never suspends.
#pragma once

#include <spdlog/spdlog.h>

#include <chrono>
#include <cstddef>
#include <random>
#include <string>

#include "engine/backoff.hpp"

namespace spindle::engine {

template <class Stats>
class SlotReconnects {
 public:
  // kind: "redis" / "postgres"; outage_logged: the pool's "an outage was
  // logged since the last success" flag (one error line per outage);
  // log_discards: a warning when the client drops a connection on purpose
  // (PostgreSQL: rare, an unknown state; Redis: after every timeout, so no).
  SlotReconnects(const char* kind, const std::string& server, Stats& stats, bool& outage_logged,
                 size_t index, bool log_discards)
      : kind_(kind), server_(server), stats_(stats), outage_logged_(outage_logged),
        index_(index), log_discards_(log_discards) {}

  // The slot's connection is ready.
  void Connected() {
    ++stats_.connects;
    if (ever_ready_ || attempt_ > 0) ++stats_.reconnects;
    if (lost_logged_) spdlog::info("{} connection to '{}' restored (slot {})", kind_, server_, index_);
    ever_ready_ = true;
    attempt_ = 0;
    lost_logged_ = false;
    outage_logged_ = false;
  }
  // A ready connection ended while the client was open; `discarded`: the
  // client dropped it on purpose (it comes back without a back-off).
  void Ended(bool discarded, const std::string& why) {
    if (discarded) {
      if (log_discards_) spdlog::warn("{} connection to '{}' discarded: {}", kind_, server_, why);
      return;
    }
    ++stats_.connections_lost;
    spdlog::warn("{} connection to '{}' lost: {}", kind_, server_, why);
    lost_logged_ = true;
  }
  // A connect attempt failed while the client was open.
  void Failed(const std::string& why) {
    ++stats_.connect_failures;
    if (!outage_logged_) {
      spdlog::error("{} connect to '{}' failed: {}", kind_, server_, why);
      outage_logged_ = true;
    }
    lost_logged_ = true;
    ++attempt_;
  }
  // How long to back off before the next attempt.
  template <class Config>
  std::chrono::milliseconds Delay(const Config& config, std::mt19937& rng) const {
    return BackoffDelay(config, attempt_, rng);
  }

 private:
  const char* kind_;
  const std::string& server_;
  Stats& stats_;
  bool& outage_logged_;
  const size_t index_;
  const bool log_discards_;
  int attempt_ = 0;
  bool ever_ready_ = false;
  bool lost_logged_ = false;
};

}  // namespace spindle::engine
