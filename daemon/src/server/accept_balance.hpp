// accept_balance.hpp: spreads a generation's connections over its workers
// ("accepting by load", as nginx's accept_disabled does). All workers of a
// generation wait on the same listening socket, and one wake-up can take a
// whole burst (nginx opens its 64 kept connections at once), so without
// this one worker ends up holding most connections — and, since nginx
// keeps a connection to the worker that accepted it, most of the work.
//
// The master maps one small shared array before forking a generation; each
// worker publishes its open-connection count in its slot. A worker that
// holds clearly more than the least-loaded live sibling lets that sibling
// take the next connection: it waits `kDeferral` before trying, and if the
// connection is still waiting then (the sibling is busy), takes it anyway,
// so a backlog never fills because a sibling is slow.
//
// Thread contract: slots are relaxed atomics, written by their own worker
// only and read by every worker of the generation; Create/Destroy run in
// the master.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>

namespace spindle::server {

class AcceptBalance {
 public:
  static constexpr std::chrono::milliseconds kDeferral{1};

  // In the master, before forking the generation's workers; nullptr if the
  // mapping fails (then every worker accepts freely).
  static AcceptBalance* Create(unsigned workers);
  static void Destroy(AcceptBalance* balance);

  unsigned workers() const { return static_cast<unsigned>(workers_); }
  // No live worker holds slot `i` (it left, or died): siblings do not defer
  // to it. Any process of the generation (the master on a worker's death).
  void Vacate(unsigned i) const {
    if (i < workers()) slot(i).store(-1, std::memory_order_relaxed);
  }
  // Slot `i`: that worker's open connections, -1 when no live worker holds it.
  std::atomic<int64_t>& slot(unsigned i) const {
    return reinterpret_cast<std::atomic<int64_t>*>(const_cast<AcceptBalance*>(this) + 1)[i];
  }

 private:
  static_assert(std::atomic<int64_t>::is_always_lock_free);
  uint64_t workers_ = 0;  // the slots follow this header in the mapping (8-aligned)
};

// One worker's place in its generation's AcceptBalance (process-local).
class BalanceSlot {
 public:
  BalanceSlot() = default;  // no balance: accept freely
  // Claims slot `index` (a respawned worker reuses the slot of the one it
  // replaces) with no connections.
  BalanceSlot(AcceptBalance* table, unsigned index);

  explicit operator bool() const { return table_ != nullptr; }
  // The worker's open connections now.
  void Publish(size_t open) const;
  // The worker is leaving (draining): siblings no longer defer to it.
  void Leave() const;
  // True when this worker, holding `open`, should let a sibling take the
  // next connection: `open` exceeds the least-loaded live sibling's count
  // by more than a slack of max(2, that count / 8).
  bool ShouldDefer(size_t open) const;

 private:
  AcceptBalance* table_ = nullptr;
  unsigned index_ = 0;
};

}  // namespace spindle::server
