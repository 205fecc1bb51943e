// Connection: one libpq connection in pipeline mode on the fiber engine (our
// adapter: libpq has no event-loop hooks, so we drive its non-blocking API
// ourselves — PQconnectPoll, PQsendQueryParams/Prepared + PQpipelineSync,
// PQflush, PQconsumeInput, PQisBusy, PQgetResult).
//
// Every query is one statement (after a Prepare, when the statement is not
// prepared on this connection yet) followed by its own Sync: each runs in
// its own implicit transaction, so one that fails aborts nothing else (with
// one Sync for several fibers' statements, a later failure would roll back an
// earlier fiber's INSERT after it was told "done"). Queries are answered in
// the order they were sent; `fifo_` holds them.
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
  // room: notified whenever a finished query frees pipeline room.
  Connection(Shared& shared, spindle::WaitList* room, std::string role);
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

  // Never suspends. Sends one statement for `op` (a named statement when
  // `prepared`, after Parse when it is not prepared here yet). False (and
  // nothing sent) when the connection is not usable.
  bool Send(PendingQuery* op, bool named, const std::string& text, const Param* params,
            size_t n, bool pinned_query);
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
  size_t in_flight() const noexcept { return fifo_.size(); }
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

  Shared& shared_;
  spindle::WaitList* room_;
  const std::string role_;
  pg_conn* pg_ = nullptr;
  int fd_ = -1;
  bool dead_ = true;
  bool ready_ = false;
  bool discarding_ = false;
  bool dropped_ = false;
  bool auth_failed_ = false;
  struct InFlight {
    PendingQuery* op;
    bool shared;  // sent while no transaction held the connection
  };
  std::deque<InFlight> fifo_;
  std::set<std::string, std::less<>> prepared_;  // statements prepared here
  std::string error_;
  AutoResetEvent flush_;
  Fiber writer_;
};

}  // namespace spindle::pg::impl
