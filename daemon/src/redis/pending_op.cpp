// PendingOp (see pending_op.hpp).
#include "redis/pending_op.hpp"

#include <hiredis/async.h>
#include <hiredis/hiredis.h>

#include <spindle/fiber.hpp>
#include <spindle/redis_errors.hpp>

#include "redis/connection.hpp"
#include "redis/reply_convert.hpp"
#include "redis/shared.hpp"

namespace spindle::redis::impl {

void PendingOp::OnReply(redisAsyncContext* ac, void* reply, void* privdata) noexcept {
  auto* op = static_cast<PendingOp*>(privdata);
  Connection* conn = Connection::FromContext(ac);
  conn->ReplyDone();
  auto* r = static_cast<redisReply*>(reply);
  if (r == nullptr) {
    if (!op->lost_) {
      op->lost_ = true;
      op->failure_ = conn->error();
    }
  } else {
    if (r->type == REDIS_REPLY_ERROR) ++conn->shared().stats.error_replies;
    if (!op->abandoned_ && !op->lost_) {
      try {
        op->replies_.push_back(ConvertReply(r));
      } catch (...) {  // never let an exception cross hiredis
        op->lost_ = true;
        op->failure_ = "out of memory copying a reply";
      }
    }
  }
  if (++op->received_ == op->expected_) {
    op->complete_ = true;
    op->conn_ = nullptr;
    op->done_.set();
    op->Release();
  }
}

std::vector<Reply> PendingOp::Await(Shared& shared, Deadline deadline,
                                    Clock::time_point started, std::string_view what) {
  const WaitStatus st = done_.wait_until(deadline);
  if (complete_) {  // wins over a timeout or cancellation that raced it
    const bool lost = lost_;
    std::string failure = std::move(failure_);
    std::vector<Reply> replies = std::move(replies_);
    Release();
    if (lost) {
      ++shared.stats.errors;
      throw Unavailable(shared.address, "redis '" + shared.address + "': " + std::string(what) +
                                            " failed: " + failure);
    }
    const auto us = std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - started);
    shared.stats.latency.Record(static_cast<uint64_t>(us.count()));
    return replies;
  }
  // Still in hiredis's queue, so its connection is alive.
  abandoned_ = true;
  Connection* conn = conn_;
  Release();
  ++shared.stats.errors;
  if (st == WaitStatus::kCancelled) throw Cancelled();
  ++shared.stats.timeouts;
  if (conn != nullptr && !conn->discarded()) {
    ++shared.stats.discarded;
    conn->Discard("an earlier command timed out");
  }
  const auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started).count();
  throw Timeout(shared.address, "redis '" + shared.address + "': " + std::string(what) +
                                    " timed out after " + std::to_string(ms) + " ms");
}

}  // namespace spindle::redis::impl
