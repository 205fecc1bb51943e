// Connection (see connection.hpp).
#include "pg/connection.hpp"


#include <libpq-fe.h>
#include <spdlog/spdlog.h>

#include <spindle/io.hpp>
#include <spindle/offload.hpp>
#include <spindle/pg_errors.hpp>

#include "pg/query.hpp"
#include "pg/transaction_pin.hpp"

namespace spindle::pg::impl {
namespace {

// The server's NOTICE/WARNING messages go to our log, not libpq's stderr.
void LogNotice(void* arg, const char* message) {
  const auto* shared = static_cast<const Shared*>(arg);
  spdlog::debug("postgres '{}': {}", shared->name(), LibpqMessage(message));
}

// Connection failures have no SQLSTATE in libpq 15; these are the messages
// of class 28 (invalid authorization) and of pg_hba.conf refusals.
bool IsAuthFailure(const std::string& msg) {
  auto has = [&](const char* part) { return msg.find(part) != std::string::npos; };
  return has("authentication failed") || has("no password supplied") ||
         has("no pg_hba.conf entry") || has("password is required") ||
         (has("role") && has("does not exist"));
}

}  // namespace

Connection::Connection(Shared& shared, spindle::WaitList* room, std::string role,
                       spindle::WaitList* idle)
    : shared_(shared), room_(room), idle_(idle), role_(std::move(role)) {}

void Connection::NotifyAll() noexcept {
  room_->notify_all();
  if (idle_ != nullptr) idle_->notify_all();
}

Connection::~Connection() {
  if (pg_ != nullptr) Teardown();
}

void Connection::Fail(const std::string& why) {
  error_ = why;
  auth_failed_ = IsAuthFailure(why);
  if (pg_ != nullptr) {
    if (fd_ >= 0) forget_fd(fd_);
    PQfinish(pg_);
    pg_ = nullptr;
    --shared_.connections_open;
  }
  fd_ = -1;
  dead_ = true;
}

bool Connection::Open(Deadline deadline) {
  ConnParams params = shared_.params;
  if (params.Get("gssencmode").empty()) params.Set("gssencmode", "disable");
  if (std::string why = ResolveHosts(params); !why.empty()) {
    error_ = why;
    return false;
  }
  const auto keys = params.KeyArray();
  const auto values = params.ValueArray();
  pg_ = PQconnectStartParams(keys.data(), values.data(), 0);
  if (pg_ == nullptr) {
    error_ = "out of memory";
    return false;
  }
  ++shared_.connections_open;
  dead_ = false;
  if (PQstatus(pg_) == CONNECTION_BAD) {
    Fail(LibpqMessage(PQerrorMessage(pg_)));
    return false;
  }
  PostgresPollingStatusType poll = PGRES_POLLING_WRITING;
  for (;;) {
    fd_ = PQsocket(pg_);
    if (fd_ < 0) {
      Fail(LibpqMessage(PQerrorMessage(pg_)));
      return false;
    }
    const IoWait w = wait_fd(fd_, poll == PGRES_POLLING_READING ? kReadable : kWritable, deadline);
    if (w.status == WaitStatus::kTimeout) {
      Fail("connect timed out after " + std::to_string(shared_.config.connect_timeout.count()) +
           " ms");
      return false;
    }
    if (w.status == WaitStatus::kCancelled || shared_.closing) {
      Fail("client closed");
      return false;
    }
    // PQconnectPoll may close this socket and open another (the next host
    // or address), possibly with the same number: the reactor forgets it
    // first, and the next wait registers whatever PQsocket() is then.
    forget_fd(fd_);
    poll = PQconnectPoll(pg_);
    if (poll == PGRES_POLLING_OK) break;
    if (poll == PGRES_POLLING_FAILED) {
      Fail(LibpqMessage(PQerrorMessage(pg_)));
      return false;
    }
  }
  fd_ = PQsocket(pg_);
  PQsetNoticeProcessor(pg_, &LogNotice, &shared_);
  if (PQsetnonblocking(pg_, 1) != 0 || PQenterPipelineMode(pg_) != 1) {
    Fail("cannot enter pipeline mode: " + LibpqMessage(PQerrorMessage(pg_)));
    return false;
  }
  ready_ = true;
  ++shared_.background_fibers;
  writer_ = spawn([this] { WriterLoop(); }, "pg-writer");
  return true;
}

bool Connection::SendStatement(PendingQuery* op) {
  const size_t n = op->param_count();
  const Param* params = op->params();
  const char* values_inline[16];
  int lengths_inline[16];
  int formats_inline[16];
  Oid types_inline[16];
  std::vector<const char*> values_heap;
  std::vector<int> lengths_heap, formats_heap;
  std::vector<Oid> types_heap;
  const char** values = values_inline;
  int* lengths = lengths_inline;
  int* formats = formats_inline;
  Oid* types = types_inline;
  if (n > 16) {
    values_heap.resize(n);
    lengths_heap.resize(n);
    formats_heap.resize(n);
    types_heap.resize(n);
    values = values_heap.data();
    lengths = lengths_heap.data();
    formats = formats_heap.data();
    types = types_heap.data();
  }
  for (size_t i = 0; i < n; ++i) {
    values[i] = params[i].value;
    lengths[i] = params[i].length;
    formats[i] = params[i].format;
    types[i] = params[i].type;
  }
  const int np = static_cast<int>(n);
  const std::string& text = op->key();
  if (!op->named()) {
    return PQsendQueryParams(pg_, text.c_str(), np, types, values, lengths, formats, 0) == 1;
  }
  if (prepared_.find(text) == prepared_.end()) {
    // Parse once per connection, in the same round trip as its first use.
    // Parameter types are left to the server, as for exec().
    auto it = shared_.statements.find(text);
    if (PQsendPrepare(pg_, text.c_str(), it->second.c_str(), 0, nullptr) != 1) return false;
    prepared_.insert(text);
    ++shared_.stats.prepares;
    op->AddPrepareStep(text);
  }
  return PQsendQueryPrepared(pg_, text.c_str(), np, values, lengths, formats, 0) == 1;
}

bool Connection::SendSync() {
  if (PQpipelineSync(pg_) != 1) return false;  // also writes what the socket takes now
  fifo_.push_back({nullptr, pin == nullptr});
  open_batch_ = 0;
  return true;
}

bool Connection::Send(PendingQuery* op, bool isolated) {
  if (!usable()) return false;
  bool ok = !(isolated && open_batch_ > 0) || SendSync();
  const bool queued = ok && SendStatement(op);
  if (queued) {
    op->set_connection(this);
    fifo_.push_back({op, pin == nullptr});
    ++in_flight_;
    ++open_batch_;
    ++shared_.stats.queries;
    if (in_flight_ > shared_.stats.max_pipeline_depth) shared_.stats.max_pipeline_depth = in_flight_;
    if (isolated || open_batch_ >= kMaxBatch) ok = SendSync();
  }
  if (!queued || !ok) {
    // libpq could not queue it: the connection is broken. Anything
    // half-queued must never be followed by other fibers' statements; a
    // queued statement fails with the connection.
    Discard(LibpqMessage(PQerrorMessage(pg_)));
    return queued;
  }
  // The writer ends the batch once the fibers that are ready have run, and
  // writes what the socket did not take.
  flush_.set();
  return true;
}

void Connection::Finish(PendingQuery* op) noexcept {
  --in_flight_;
  op->Complete();
  op->Release();
}

void Connection::FinishBatch(bool shared_batch) {
  std::vector<PendingQuery*> batch;
  batch.swap(held_);
  bool failed = false;
  ++shared_.stats.batches;
  for (PendingQuery* op : batch) {
    if (op->prepare_failed()) prepared_.erase(op->prepare_name());
    failed = failed || op->failed();
  }
  if (!failed || batch.size() == 1) {
    for (PendingQuery* op : batch) Finish(op);
  } else {
    // The batch's implicit transaction was rolled back: run each of its
    // statements again on its own (the one that failed too: alone it may
    // not fail, a deadlock between batches say).
    for (PendingQuery* op : batch) {
      --in_flight_;
      op->Reset();
      ++shared_.stats.retried;
      if (op->abandoned() || !Send(op, true)) {
        op->Lose("postgres '" + shared_.name() + "': connection lost");  // or no one waits
        op->Release();
      }
    }
  }
  // One waiter per statement slot freed, in the order they came (waking
  // them all would cost thousands of switches per batch when callers wait
  // for room, and let callers that just got an answer overtake them); a
  // transaction waiting for an empty pipeline, once it is.
  for (size_t i = 0; i < batch.size() && room_->notify_one(); ++i) {
  }
  if (in_flight_ == 0 && idle_ != nullptr) idle_->notify_all();
  // A shared connection must be outside any transaction between batches
  // (exec() refuses BEGIN; this catches what slips through).
  if (shared_batch && pin == nullptr && fifo_.empty() &&
      PQtransactionStatus(pg_) != PQTRANS_IDLE) {
    spdlog::error("postgres '{}': a shared connection was left inside a transaction; "
                  "discarding it (use Client::transaction())", shared_.name());
    Discard("left inside a transaction");
  }
}

void Connection::Dispatch() noexcept {
  while (pg_ != nullptr && !fifo_.empty() && !discarding_ && PQisBusy(pg_) == 0) {
    PGresult* r = PQgetResult(pg_);
    InFlight& head = fifo_.front();
    PendingQuery* op = head.op;
    if (op == nullptr) {  // a Sync is due
      if (r == nullptr || PQresultStatus(r) != PGRES_PIPELINE_SYNC) {
        if (r != nullptr) PQclear(r);
        Discard("unexpected result from the server where a sync was due");
        return;
      }
      PQclear(r);
      const bool was_shared = head.shared;
      fifo_.pop_front();
      try {
        FinishBatch(was_shared);
      } catch (...) {
        Discard("out of memory");
      }
      continue;
    }
    if (r == nullptr) {  // the end of one statement's results
      op->EndStatement();
      if (op->ended() == op->statements()) {
        held_.push_back(op);
        fifo_.pop_front();
      }
      continue;
    }
    switch (PQresultStatus(r)) {
      case PGRES_TUPLES_OK:
      case PGRES_COMMAND_OK:
      case PGRES_EMPTY_QUERY:
      case PGRES_FATAL_ERROR:
      case PGRES_NONFATAL_ERROR:
      case PGRES_PIPELINE_ABORTED:
        op->AddResult(r);
        break;
      default: {
        // COPY, single-row mode and stray syncs are not used by this client.
        const std::string what = PQresStatus(PQresultStatus(r));
        PQclear(r);
        Discard("unexpected result from the server: " + what);
        return;
      }
    }
  }
}

void Connection::Flush() noexcept {
  if (pg_ == nullptr) return;
  const int r = PQflush(pg_);
  if (r < 0) Discard(LibpqMessage(PQerrorMessage(pg_)));
  else if (r > 0) flush_.set();
}

void Connection::WriterLoop() {
  while (!dead_ && !discarding_) {
    if (flush_.wait() != WaitStatus::kOk) break;
    if (open_batch_ > 0 && usable() && !SendSync()) {
      Discard(LibpqMessage(PQerrorMessage(pg_)));
      break;
    }
    while (!dead_ && !discarding_ && pg_ != nullptr) {
      const int r = PQflush(pg_);
      // PQflush may have read input to make room: hand it out.
      Dispatch();
      if (r < 0) {
        Discard(LibpqMessage(PQerrorMessage(pg_)));
        break;
      }
      if (r == 0) break;
      (void)wait_fd(fd_, kWritable, Deadline::never());
    }
  }
  --shared_.background_fibers;
}

void Connection::Run() {
  while (!dead_ && !discarding_) {
    Dispatch();
    if (on_input) on_input(pg_);
    if (discarding_) break;
    const IoWait w = wait_fd(fd_, kReadable, Deadline::never());
    if (discarding_ || w.status != WaitStatus::kOk) break;
    if (PQconsumeInput(pg_) == 0) {
      error_ = LibpqMessage(PQerrorMessage(pg_));
      break;
    }
  }
  Teardown();
}

void Connection::Teardown() {
  const std::string why = error_.empty() ? "connection closed" : error_;
  ready_ = false;
  discarding_ = true;
  if (pin != nullptr) {
    pin->conn = nullptr;
    pin = nullptr;
  }
  if (fd_ >= 0) forget_fd(fd_);
  flush_.set();
  if (writer_.joinable()) writer_.join();
  std::vector<PendingQuery*> lost;
  lost.swap(held_);
  for (const InFlight& f : fifo_) {
    if (f.op != nullptr) lost.push_back(f.op);
  }
  fifo_.clear();
  in_flight_ = 0;
  open_batch_ = 0;
  for (PendingQuery* op : lost) {
    op->Lose("postgres '" + shared_.name() + "': connection lost: " + why);
    op->Release();
  }
  if (pg_ != nullptr) {
    PQfinish(pg_);
    pg_ = nullptr;
    --shared_.connections_open;
  }
  fd_ = -1;
  dead_ = true;
  NotifyAll();
}

void Connection::Discard(const std::string& reason) {
  if (discarding_ || dead_) return;
  discarding_ = true;
  dropped_ = true;
  if (!shared_.closing) ++shared_.stats.discarded;
  if (error_.empty()) error_ = reason;
  if (fd_ >= 0) forget_fd(fd_);  // wakes the reader (and the writer's wait)
  flush_.set();
  NotifyAll();
}

bool Connection::CancelIfRunning(PendingQuery* op) {
  if (pg_ == nullptr || discarding_) return false;
  if (PQconsumeInput(pg_) == 1) Dispatch();
  // Only the statement at the head is running; a later one is queued behind
  // it, and an answered one waits for its batch's Sync.
  if (fifo_.empty() || fifo_.front().op != op) return false;
  PGcancel* cancel = PQgetCancel(pg_);
  if (cancel == nullptr) return false;
  ++shared_.stats.cancels;
  // PQcancel opens its own connection and blocks: the offload pool runs it.
  // The PGcancel object does not need this connection, which may be gone
  // when the call returns: `this` is not touched after it.
  std::string err = offload([cancel]() -> std::string {
    char buf[256] = "";
    const int ok = PQcancel(cancel, buf, sizeof(buf));
    PQfreeCancel(cancel);
    return ok == 1 ? std::string() : std::string(buf);
  });
  if (!err.empty()) spdlog::warn("postgres cancel request failed: {}", LibpqMessage(err.c_str()));
  return true;
}

}  // namespace spindle::pg::impl
