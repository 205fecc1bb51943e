// PendingQuery: one statement in flight on a connection (with the Prepare
// that may precede it) and the fiber waiting for it. Shared by the waiting
// fiber and the connection's reader, hence the tiny refcount: a fiber that
// times out or is cancelled walks away, and the reader (which always
// finishes every query it sent, with a failure on teardown) frees it.
// It keeps what is needed to send the statement again (its SQL or name and
// the caller's parameters, alive while the caller waits): a statement of a
// batch that another statement failed was rolled back or skipped, and is
// run again on its own (connection.hpp).
//
// Fiber contract: the client's scheduler only. Await() may suspend.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include <spindle/deadline.hpp>
#include <spindle/pg_params.hpp>
#include <spindle/pg_result.hpp>
#include <spindle/sync.hpp>

struct pg_result;

namespace spindle::pg::impl {

class Connection;
struct Shared;

class PendingQuery {
 public:
  PendingQuery(bool named, std::string key, const Param* params, size_t n)
      : named_(named), key_(std::move(key)), params_(params), n_(n) {}
  ~PendingQuery();

  bool named() const noexcept { return named_; }
  const std::string& key() const noexcept { return key_; }  // SQL, or the statement name
  const Param* params() const noexcept { return params_; }
  size_t param_count() const noexcept { return n_; }
  // The outcome so far: the server ran it fine, it failed, or it was skipped
  // after an earlier failure of its batch (PIPELINE_ABORTED).
  bool failed() const noexcept { return error_ != nullptr; }
  // Forgets the results for a second run (never suspends).
  void Reset() noexcept;

  // The reader's side (never suspend). One result of statement number
  // `ended()` (taken over), the end of one statement, the sync that ends the
  // query, or the connection's end.
  void AddResult(pg_result* r) noexcept;
  void EndStatement() noexcept { ++ended_; }
  // A Parse for statement `name` precedes the statement.
  void AddPrepareStep(const std::string& name) {
    ++statements_;
    prepare_name_ = name;
  }
  // The Parse failed: the statement is not prepared on the connection.
  bool prepare_failed() const noexcept { return prepare_failed_; }
  const std::string& prepare_name() const noexcept { return prepare_name_; }
  int ended() const noexcept { return ended_; }
  int statements() const noexcept { return statements_; }
  void Complete() noexcept;
  void Lose(const std::string& why) noexcept;
  bool abandoned() const noexcept { return abandoned_; }
  void set_connection(Connection* c) noexcept { conn_ = c; }
  // The waiter leaves without awaiting (a ROLLBACK queued by a transaction's
  // destructor, an UNLISTEN): the result is dropped when it comes.
  void Detach() noexcept {
    abandoned_ = true;
    Release();
  }
  // The reader's reference: dropped after Complete() or Lose().
  void Release() noexcept {
    if (--refs_ == 0) delete this;
  }

  // May suspend until the query completed or the deadline. Consumes the
  // waiter's reference. Returns the final statement's result; throws
  // QueryError (the server's error), Timeout (after cancelling it on the
  // server when it was running), Unavailable (connection lost), Cancelled.
  // `what` names the call in messages (its SQL or statement name).
  Result Await(Shared& shared, Deadline deadline, Clock::time_point started,
               std::string_view what);

 private:
  const bool named_;
  const std::string key_;
  const Param* const params_;
  const size_t n_;
  int statements_ = 1;
  int ended_ = 0;
  int refs_ = 2;  // the waiting fiber + the connection
  bool complete_ = false;
  bool abandoned_ = false;
  bool lost_ = false;
  bool prepare_failed_ = false;
  std::string prepare_name_;
  std::string failure_;
  pg_result* result_ = nullptr;  // the last statement's result
  pg_result* error_ = nullptr;   // the first error result
  Connection* conn_ = nullptr;   // valid while !complete_
  Event done_;
};

// A QueryError (or AuthFailed-free Error) from an error PGresult.
[[noreturn]] void ThrowQueryError(const Shared& shared, const pg_result* r, std::string_view what);

}  // namespace spindle::pg::impl
