// Connection: the hiredis adapter and its two fibers (see connection.hpp).
#include "redis/connection.hpp"

#include <exception>

#include <hiredis/async.h>
#include <hiredis/hiredis.h>
#include <spdlog/spdlog.h>

#include <spindle/io.hpp>

namespace spindle::redis::impl {
namespace {

void FormatAndSend(Connection& c, std::initializer_list<std::string_view> args,
                   redisCallbackFn* fn) {
  const char* argv[4];
  size_t lens[4];
  int argc = 0;
  for (auto a : args) {
    argv[argc] = a.data();
    lens[argc] = a.size();
    ++argc;
  }
  char* cmd = nullptr;
  int len = redisFormatCommandArgv(&cmd, argc, argv, lens);
  if (len < 0) throw std::bad_alloc();
  const bool ok = c.Send(cmd, static_cast<size_t>(len), fn, &c, false);
  redisFreeCommand(cmd);
  if (!ok) throw std::runtime_error("redis handshake could not be queued");
}

}  // namespace

Connection::Connection(Shared& shared, spindle::WaitList* room, std::string role)
    : shared_(shared), room_(room), role_(std::move(role)) {}

Connection::~Connection() {
  // Open() and Run() always leave with the context freed and the writer
  // joined; this is the backstop for an exception in between.
  if (ac_ != nullptr) {
    redisAsyncFree(ac_);
  }
  if (writer_.joinable()) {
    // While a destroyed scheduler unwinds its parked fibers we must not
    // suspend; the writer is being unwound too.
    if (std::uncaught_exceptions() > 0) {
      writer_.detach();
    } else {
      writer_.join();
    }
  }
}

Connection* Connection::FromContext(const redisAsyncContext* ac) noexcept {
  return static_cast<Connection*>(ac->data);
}

void Connection::ReplyDone() noexcept {
  if (in_flight_ > 0) --in_flight_;
  if (room_ != nullptr && !room_->empty()) room_->notify_one();
}

// --- hooks (called by hiredis; idempotent, never throw, never suspend) ---

void Connection::HookAddWrite(void* self) noexcept {
  auto* c = static_cast<Connection*>(self);
  if (!c->want_write_) {
    c->want_write_ = true;
    c->flush_.set();
  }
}

void Connection::HookDelWrite(void* self) noexcept {
  static_cast<Connection*>(self)->want_write_ = false;
}

void Connection::HookNoop(void*) noexcept {}

// Runs inside redisAsyncHandleRead/Write or redisAsyncFree, before hiredis
// closes the fd and frees the context: forget the fd (waking whichever of
// our fibers still waits on it) and never touch the context again.
void Connection::HookCleanup(void* self) noexcept {
  auto* c = static_cast<Connection*>(self);
  if (c->dead_) return;
  if (c->error_.empty()) {
    if (c->discarding_) {
      // error_ was set by Discard
    } else if (c->ac_ != nullptr && c->ac_->err != 0 && c->ac_->errstr != nullptr) {
      c->error_ = c->ac_->errstr;
    } else {
      c->error_ = "connection closed";
    }
  }
  c->dead_ = true;
  c->ready_ = false;
  c->want_write_ = false;
  if (c->waited_ && c->fd_ >= 0) forget_fd(c->fd_);
  c->ac_ = nullptr;
  c->flush_.set();
  if (c->shared_.connections_open > 0) --c->shared_.connections_open;
}

void Connection::OnHandshakeReply(redisAsyncContext*, void* reply, void* privdata) noexcept {
  auto* c = static_cast<Connection*>(privdata);
  --c->handshake_pending_;
  auto* r = static_cast<redisReply*>(reply);
  if (r != nullptr && r->type == REDIS_REPLY_ERROR && c->handshake_error_.empty()) {
    c->handshake_error_.assign(r->str, r->len);
  }
}

void Connection::OnAuthReply(redisAsyncContext* ac, void* reply, void* privdata) noexcept {
  auto* c = static_cast<Connection*>(privdata);
  auto* r = static_cast<redisReply*>(reply);
  if (r != nullptr && r->type == REDIS_REPLY_ERROR && c->handshake_error_.empty()) {
    c->auth_failed_ = true;
    c->handshake_error_ = "authentication failed: " + std::string(r->str, r->len);
    --c->handshake_pending_;
    return;
  }
  OnHandshakeReply(ac, reply, privdata);
}

// --- lifecycle ---

bool Connection::Open(Deadline deadline) {
  const Endpoint& ep = shared_.endpoint;
  ac_ = ep.is_unix ? redisAsyncConnectUnix(ep.path.c_str())
                   : redisAsyncConnect(ep.host.c_str(), ep.port);
  if (ac_ == nullptr) {
    error_ = "out of memory";
    return false;
  }
  if (ac_->err != 0) {
    error_ = ac_->errstr;
    redisAsyncFree(ac_);  // no hooks attached yet: nothing else runs
    ac_ = nullptr;
    return false;
  }
  fd_ = ac_->c.fd;
  dead_ = false;
  ++shared_.connections_open;
  ac_->data = this;
  ac_->ev.data = this;
  ac_->ev.addRead = &HookNoop;  // the reader always reads
  ac_->ev.delRead = &HookNoop;
  ac_->ev.addWrite = &HookAddWrite;
  ac_->ev.delWrite = &HookDelWrite;
  ac_->ev.cleanup = &HookCleanup;

  try {
    QueueHandshake();
  } catch (const std::exception& e) {
    FailOpen(e.what());
    return false;
  }
  // The writer also completes the non-blocking connect: hiredis treats the
  // first writable event as "connected" (onConnect) and then flushes.
  writer_ = spawn([this] { WriterLoop(); }, "redis-writer");

  while (!dead_ && handshake_pending_ > 0) {
    waited_ = true;
    const IoWait w = wait_fd(fd_, kReadable, deadline);
    if (dead_) break;
    if (discarding_) {
      FailOpen(error_);
      return false;
    }
    if (w.status != WaitStatus::kOk) {
      FailOpen(w.status == WaitStatus::kTimeout
                   ? "connect timed out after " +
                         std::to_string(shared_.config.connect_timeout.count()) + " ms"
                   : "connect cancelled");
      return false;
    }
    redisAsyncHandleRead(ac_);
  }
  if (dead_) {
    if (writer_.joinable()) writer_.join();
    return false;
  }
  if (!handshake_error_.empty()) {
    FailOpen(handshake_error_);
    return false;
  }
  ready_ = true;
  return true;
}

void Connection::QueueHandshake() {
  const Config& cfg = shared_.config;
  if (!cfg.password.empty()) {
    ++handshake_pending_;
    if (cfg.username.empty()) {
      FormatAndSend(*this, {"AUTH", cfg.password}, &OnAuthReply);
    } else {
      FormatAndSend(*this, {"AUTH", cfg.username, cfg.password}, &OnAuthReply);
    }
  }
  if (cfg.database != 0) {
    ++handshake_pending_;
    const std::string db = std::to_string(cfg.database);
    FormatAndSend(*this, {"SELECT", db}, &OnHandshakeReply);
  }
  ++handshake_pending_;
  FormatAndSend(*this, {"PING"}, &OnHandshakeReply);
}

// Frees the context from the reader (not inside a callback, so hiredis frees
// at once), then waits for the writer, which the cleanup hook woke.
void Connection::FailOpen(const std::string& why) {
  if (error_.empty()) error_ = why;
  if (ac_ != nullptr) redisAsyncFree(ac_);
  ac_ = nullptr;
  dead_ = true;
  if (writer_.joinable()) writer_.join();
}

void Connection::Run() {
  while (!dead_) {
    waited_ = true;
    const IoWait w = wait_fd(fd_, kReadable, Deadline::never());
    if (dead_) break;
    if (discarding_ || w.status == WaitStatus::kCancelled) {
      // Tear down here, outside any hiredis callback, so hiredis frees at
      // once: pending callbacks get NULL replies, the cleanup hook runs.
      if (error_.empty()) error_ = "reader cancelled";
      redisAsyncFree(ac_);
      break;
    }
    redisAsyncHandleRead(ac_);
  }
  if (writer_.joinable()) writer_.join();
}

void Connection::WriterLoop() {
  while (!dead_ && !discarding_) {
    if (!want_write_) {
      if (flush_.wait() != WaitStatus::kOk) break;
      continue;
    }
    redisAsyncHandleWrite(ac_);  // may connect; may free the context
    if (dead_ || discarding_) break;
    if (want_write_) {
      // Socket full (or connect in progress): wait for room. Woken early by
      // forget_fd when the reader tears the connection down.
      waited_ = true;
      if (wait_fd(fd_, kWritable, Deadline::never()).status == WaitStatus::kCancelled) break;
    }
  }
}

bool Connection::Send(const char* cmd, size_t len, redisCallbackFn* fn, void* privdata,
                      bool counted) {
  if (dead_ || ac_ == nullptr) return false;
  if (redisAsyncFormattedCommand(ac_, fn, privdata, cmd, len) != REDIS_OK) return false;
  if (counted) ++in_flight_;
  return true;
}

void Connection::Discard(const std::string& reason) {
  if (discarding_ || dead_) return;
  discarding_ = true;
  error_ = reason;
  ready_ = false;
  // Wake both fibers (forget_fd wakes whoever waits on the fd; the Event
  // wakes an idle writer). The writer just ends; the reader frees the
  // context, failing every pending callback with a NULL reply. This also
  // works while a TCP connect is still in progress.
  forget_fd(fd_);
  flush_.set();
  spdlog::debug("redis {} connection to '{}' discarded: {}", role_, shared_.address, reason);
}

}  // namespace spindle::redis::impl
