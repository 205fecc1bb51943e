// PendingQuery (see query.hpp).
#include "pg/query.hpp"

#include <libpq-fe.h>

#include <spindle/fiber.hpp>
#include <spindle/pg_errors.hpp>

#include "pg/connection.hpp"
#include "pg/shared.hpp"

namespace spindle::pg::impl {
namespace {

std::string Field(const PGresult* r, int code) {
  const char* v = PQresultErrorField(r, code);
  return v != nullptr ? v : "";
}

std::string Abbrev(std::string_view what) {
  std::string s(what.substr(0, 80));
  if (what.size() > 80) s += "...";
  for (char& c : s) {
    if (c == '\n' || c == '\t') c = ' ';
  }
  return s;
}

}  // namespace

PendingQuery::~PendingQuery() {
  if (result_ != nullptr) PQclear(result_);
  if (error_ != nullptr) PQclear(error_);
}

void PendingQuery::Reset() noexcept {
  if (result_ != nullptr) PQclear(result_);
  if (error_ != nullptr) PQclear(error_);
  result_ = error_ = nullptr;
  statements_ = 1;
  ended_ = 0;
  prepare_failed_ = false;
  prepare_name_.clear();
}

void PendingQuery::AddResult(pg_result* r) noexcept {
  const ExecStatusType st = PQresultStatus(r);
  // A Parse that failed or was skipped: the statement is not prepared.
  if ((st == PGRES_FATAL_ERROR || st == PGRES_PIPELINE_ABORTED) && ended_ < statements_ - 1) {
    prepare_failed_ = true;
  }
  if (st == PGRES_FATAL_ERROR || st == PGRES_NONFATAL_ERROR) {
    if (error_ == nullptr) {
      error_ = r;
      return;
    }
  } else if (st != PGRES_PIPELINE_ABORTED && ended_ == statements_ - 1) {
    if (result_ != nullptr) PQclear(result_);
    result_ = r;
    return;
  }
  PQclear(r);  // a Prepare's answer, or a statement skipped after an error
}

void PendingQuery::Complete() noexcept {
  complete_ = true;
  conn_ = nullptr;
  done_.set();
}

void PendingQuery::Lose(const std::string& why) noexcept {
  lost_ = true;
  failure_ = why;
  Complete();
}

[[noreturn]] void ThrowQueryError(const Shared& shared, const pg_result* r, std::string_view what) {
  std::string sqlstate = Field(r, PG_DIAG_SQLSTATE);
  std::string message = Field(r, PG_DIAG_MESSAGE_PRIMARY);
  std::string msg = "postgres '" + shared.name() + "': " + Abbrev(what) + ": " +
                    (message.empty() ? std::string("error") : message) +
                    (sqlstate.empty() ? "" : " (SQLSTATE " + sqlstate + ")");
  throw QueryError(shared.name(), msg, std::move(sqlstate), std::move(message),
                   Field(r, PG_DIAG_MESSAGE_DETAIL), Field(r, PG_DIAG_CONSTRAINT_NAME));
}

Result PendingQuery::Await(Shared& shared, Deadline deadline, Clock::time_point started,
                           std::string_view what) {
  WaitStatus st = done_.wait_until(deadline);
  bool cancel_sent = false;
  if (!complete_ && conn_ != nullptr) {
    // Timed out or cancelled while in flight: if the server is running it,
    // cancel it there; its answer, whenever it comes, is dropped. One that
    // arrived just now (read first) is taken as it is.
    cancel_sent = conn_->CancelIfRunning(this);
    if (complete_ && !cancel_sent) st = WaitStatus::kOk;
  }
  const auto us = std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - started);
  shared.stats.latency.Record(static_cast<uint64_t>(us.count()));
  if (st != WaitStatus::kOk) {
    abandoned_ = true;
    ++shared.stats.errors;
    if (st == WaitStatus::kCancelled) {
      Release();
      throw Cancelled();
    }
    ++shared.stats.timeouts;
    // Built before Release(): `what` may be this query's own text.
    Timeout timeout(shared.name(), "postgres '" + shared.name() + "': " + Abbrev(what) +
                                       ": no answer within the deadline (" +
                                       std::to_string(us.count() / 1000) + " ms)");
    Release();
    throw timeout;
  }
  struct Drop {
    PendingQuery* q;
    ~Drop() { q->Release(); }
  } drop{this};
  if (lost_) {
    ++shared.stats.errors;
    throw Unavailable(shared.name(), failure_);
  }
  if (error_ != nullptr) {
    ++shared.stats.errors;
    ++shared.stats.query_errors;
    ThrowQueryError(shared, error_, what);
  }
  if (result_ == nullptr) {
    ++shared.stats.errors;
    throw Unavailable(shared.name(), "postgres '" + shared.name() + "': " + Abbrev(what) +
                                         ": no result from the server");
  }
  Result out(result_, shared.server);
  result_ = nullptr;
  return out;
}

}  // namespace spindle::pg::impl
