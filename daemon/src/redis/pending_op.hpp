// PendingOp: one call in flight (a command, or a whole pipeline/transaction)
// and the fiber waiting for it. Shared by the waiting fiber and hiredis (its
// reply callback), hence the tiny refcount: a fiber that times out or is
// cancelled walks away, and the callback (always run, with NULL on teardown)
// frees the op. Callbacks only copy replies and set the Event; the waking is
// batched naturally: one HandleRead answers every reply it read, and the
// woken fibers run after it.
//
// Fiber contract: the client's scheduler only. Await() may suspend.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include <spindle/deadline.hpp>
#include <spindle/redis_reply.hpp>
#include <spindle/sync.hpp>

struct redisAsyncContext;

namespace spindle::redis::impl {

class Connection;
struct Shared;

class PendingOp {
 public:
  explicit PendingOp(size_t expected) : expected_(expected) { replies_.reserve(expected); }

  // The hiredis reply callback for every counted command of this op.
  static void OnReply(redisAsyncContext* ac, void* reply, void* privdata) noexcept;

  // Sent `count` commands for this op (the rest will never be answered).
  void Shrink(size_t count) noexcept { expected_ = count; }
  void set_connection(Connection* c) noexcept { conn_ = c; }

  // May suspend until every reply arrived or the deadline. Consumes the
  // waiter's reference (the op may be freed on return). Throws Timeout
  // (and discards the connection), Unavailable (connection lost), or
  // Cancelled. `what` names the call in messages ("GET", "pipeline of 3").
  std::vector<Reply> Await(Shared& shared, Deadline deadline, Clock::time_point started,
                           std::string_view what);

 private:
  void Release() noexcept {
    if (--refs_ == 0) delete this;
  }

  size_t expected_;
  size_t received_ = 0;
  int refs_ = 2;  // the waiting fiber + hiredis
  bool complete_ = false;
  bool abandoned_ = false;
  bool lost_ = false;
  std::string failure_;
  std::vector<Reply> replies_;
  Connection* conn_ = nullptr;  // valid while !complete_
  Event done_;
};

}  // namespace spindle::redis::impl
