// Connection: one libpq connection in pipeline mode on the fiber engine (our
// adapter: libpq has no event-loop hooks, so we drive its non-blocking API
// ourselves — PQconnectPoll, PQsendQueryParams/Prepared + PQpipelineSync,
// PQflush, PQconsumeInput, PQisBusy, PQgetResult).
//
// Statements of concurrent fibers go out in batches: each fiber appends its
// statement (after a Parse, when the statement is not prepared on this
// connection yet) and the writer fiber ends the batch with one Sync once
// every fiber that was ready has run, so a batch costs one write here and
// one on the server, not one per statement. Between Syncs the server runs
// the statements as one implicit transaction; hence a batched statement's
// answer is handed out only at the Sync (after the commit), and when one
// statement of a batch fails, the batch was rolled back as a whole: every
// statement of it (the failing one too) is run again on its own, between
// Syncs of its own (isolated), where it has exactly the effect and the
// error it would have had alone. Isolated from the start: a transaction's
// statements (the connection is pinned; its errors are its own), the
// listener's, and those after the batch reached kMaxBatch.
// Answers come in the order the statements were sent; `fifo_` holds the
// statements and the Syncs in flight, `held_` the answered statements of
// the batch whose Sync has not come yet.
//
// Two fibers drive it:
//  - the reader is the fiber that calls Open() and Run() (a pool slot's
//    fiber): it parks in wait_fd(fd, kReadable), calls PQconsumeInput and
//    hands each finished query its result (Dispatch);
//  - the writer (spawned by Open) parks until a Send() left output that the
//    socket did not take, then flushes it, parking in wait_fd(kWritable).
// Callers send from their own fiber: PQpipelineSync writes at once, so a
// query leaves without waiting for any fiber to run.
// Discard() marks the connection and wakes both fibers; the reader fails
// every query still in flight and closes the connection.
//
// Fiber contract: all methods run on the client's scheduler; Open/Run and
// CancelIfRunning may suspend; the rest never do.
#pragma once

#include <cstddef>
#include <deque>
#include <functional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <spindle/deadline.hpp>
#include <spindle/fiber.hpp>
#include <spindle/pg_params.hpp>
#include <spindle/sync.hpp>
#include <spindle/wait_list.hpp>

#include "pg/shared.hpp"

struct pg_conn;

namespace spindle::pg::impl {

class PendingQuery;
struct Pin;

class Connection {
 public:
  // room: one waiter notified per statement answered (pipeline room freed);
  // idle (may be null): every waiter, when nothing is in flight any more.
  // Both get every waiter when the connection changes state.
  Connection(Shared& shared, spindle::WaitList* room, std::string role,
             spindle::WaitList* idle = nullptr);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // May suspend until connected and authenticated, or the deadline. On
  // false, error() says why (auth_failed() for refused credentials) and the
  // libpq connection is gone.
  bool Open(Deadline deadline);
  // May suspend: reads and dispatches results until the connection dies,
  // then fails what is still in flight and waits for the writer to end.
  void Run();

  // Never suspends. Sends op's statement (after Parse when it is a named
  // one not prepared here yet), batched or `isolated`. False (and nothing
  // sent) when the connection is not usable.
  bool Send(PendingQuery* op, bool isolated);
  // Stops taking queries and tears the connection down (via the reader);
  // queries in flight then fail. Idempotent; never suspends.
  void Discard(const std::string& reason);
  // May suspend (the cancel request runs on the offload pool). Reads what
  // has arrived; if `op` is still the statement the server is running, asks
  // the server to cancel it. `op` must not be used by the connection
  // afterwards except through its own completion. True if a cancel request
  // was sent.
  bool CancelIfRunning(PendingQuery* op);

  bool usable() const noexcept { return ready_ && !discarding_ && !dead_; }
  bool dead() const noexcept { return dead_; }
  // Discard() was called (on purpose, not a broken connection).
  bool discarded() const noexcept { return dropped_; }
  size_t in_flight() const noexcept { return in_flight_; }
  const std::string& error() const noexcept { return error_; }
  bool auth_failed() const noexcept { return auth_failed_; }

  // A transaction that holds this connection (null: shared by the pool), and
  // one waiting for it to empty (no new shared queries meanwhile).
  Pin* pin = nullptr;
  bool reserved = false;
  // Runs after each read (the listener drains notifications here).
  std::function<void(pg_conn*)> on_input;

 private:
  void WriterLoop();
  void Dispatch() noexcept;
  void Flush() noexcept;
  void Teardown();
  void Fail(const std::string& why);
  bool SendStatement(PendingQuery* op);
  bool SendSync();
  // The Sync of the held batch came: hand out its answers, or run its
  // statements again one by one when one of them failed.
  void FinishBatch(bool shared_batch);
  void Finish(PendingQuery* op) noexcept;

  static constexpr size_t kMaxBatch = 256;

  Shared& shared_;
  spindle::WaitList* room_;
  spindle::WaitList* idle_;
  void NotifyAll() noexcept;
  const std::string role_;
  pg_conn* pg_ = nullptr;
  int fd_ = -1;
  bool dead_ = true;
  bool ready_ = false;
  bool discarding_ = false;
  bool dropped_ = false;
  bool auth_failed_ = false;
  struct InFlight {
    PendingQuery* op;  // null: a Sync
    bool shared;       // sent while no transaction held the connection
  };
  std::deque<InFlight> fifo_;
  std::vector<PendingQuery*> held_;  // answered, waiting for their batch's Sync
  size_t open_batch_ = 0;            // statements sent since the last Sync
  size_t in_flight_ = 0;             // statements sent and not handed out
  std::set<std::string, std::less<>> prepared_;  // statements prepared here
  std::string error_;
  AutoResetEvent flush_;
  Fiber writer_;
};

}  // namespace spindle::pg::impl
