// ClientCore: what the Client handles share: the config and counters, and,
// once a fiber first uses the client, the pool and the subscriber bound to
// that fiber's scheduler. Runs the calls (format, acquire, send, await).
//
// Fiber contract: bound to the first scheduler that uses it; calls may
// suspend and must run in its fibers (std::logic_error otherwise).
#pragma once

#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <spindle/deadline.hpp>
#include <spindle/redis_reply.hpp>
#include <spindle/redis_stats.hpp>
#include <spindle/scheduler.hpp>

#include "redis/pool.hpp"
#include "redis/shared.hpp"
#include "redis/subscriber.hpp"

namespace spindle::redis::impl {

class ClientCore {
 public:
  explicit ClientCore(Config config);
  ~ClientCore();

  Shared& shared() noexcept { return shared_; }

  // May suspend. One command; its reply (error replies included).
  Reply Command(std::span<const std::string_view> argv, Deadline cap);
  // May suspend. Preformatted commands back to back on one connection
  // (wrapped in MULTI/EXEC when `transaction`); every reply, in order.
  std::vector<Reply> Batch(const std::string& buffer, const std::vector<size_t>& ends,
                           bool transaction, Deadline cap);
  Subscriber& subscriber();
  Stats GetStats() const;
  void Close();

 private:
  Pool& pool();
  void Bind();
  // The call's deadline; throws Timeout if it has already passed.
  Deadline CallDeadline(Deadline cap);

  Shared shared_;
  Scheduler* scheduler_ = nullptr;
  std::unique_ptr<Pool> pool_;
  std::unique_ptr<Subscriber> subscriber_;
  bool closed_ = false;
};

// The stats of every client alive in this process, summed (a worker's
// clients, for the metrics sampler: spindle_redis_*). Call it from the thread
// that runs those clients' scheduler; counters of destroyed clients drop out.
Stats LiveClientsStats();

}  // namespace spindle::redis::impl
