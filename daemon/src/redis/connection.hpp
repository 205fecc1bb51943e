// Connection: one hiredis 0.14 async context on the fiber engine (our
// adapter; learn from hiredis adapters/*.h).
//
// Two fibers drive it with the public engine API:
//  - the reader is the fiber that calls Open() and Run() (a pool slot's
//    fiber): it parks in wait_fd(fd, kReadable) and calls
//    redisAsyncHandleRead, which runs the reply callbacks (they only copy the
//    reply and wake fibers);
//  - the writer (spawned by Open) parks on an AutoResetEvent until a command is
//    queued (hiredis's addWrite hook sets it), so every command queued by the
//    fibers that ran in the meantime goes out in one write; when the socket
//    is full it parks in wait_fd(fd, kWritable).
// The hooks only set flags (idempotent). hiredis frees the context itself on
// an I/O error, inside HandleRead/HandleWrite (reply callbacks get NULL
// first); our cleanup hook marks the connection dead and calls forget_fd,
// which wakes the other fiber, so neither touches the freed context again.
// Discard() marks the connection and wakes both fibers: the writer ends, the
// reader frees the context itself (outside any callback).
//
// Fiber contract: all methods run on the client's scheduler; Open/Run may
// suspend; Send/Discard never suspend.
#pragma once

#include <cstddef>
#include <string>

#include <spindle/deadline.hpp>
#include <spindle/fiber.hpp>
#include <spindle/sync.hpp>
#include <spindle/wait_list.hpp>

#include "redis/shared.hpp"

struct redisAsyncContext;
typedef void(redisCallbackFn)(struct redisAsyncContext*, void*, void*);

namespace spindle::redis::impl {

class Connection {
 public:
  // room: notified (one waiter) whenever a reply frees a pipelining slot.
  Connection(Shared& shared, spindle::WaitList* room, std::string role);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // May suspend until connected and the handshake ([AUTH] [SELECT] PING) is
  // answered, or the deadline. On false, error() says why (auth_failed()
  // when Redis refused the credentials) and the context is gone.
  bool Open(Deadline deadline);
  // May suspend: reads and dispatches replies until the connection dies,
  // then waits for the writer fiber to end.
  void Run();

  // Queues one formatted command (hiredis copies it); `counted` commands are
  // answered by exactly one reply callback. False if nothing was queued.
  bool Send(const char* cmd, size_t len, redisCallbackFn* fn, void* privdata, bool counted);
  // Stops taking commands and tears the connection down (via the reader);
  // pending callbacks then get NULL replies. Idempotent; never suspends.
  void Discard(const std::string& reason);

  bool usable() const noexcept { return ready_ && !discarding_ && !dead_; }
  bool dead() const noexcept { return dead_; }
  bool discarded() const noexcept { return discarding_; }
  size_t in_flight() const noexcept { return in_flight_; }
  const std::string& error() const noexcept { return error_; }
  bool auth_failed() const noexcept { return auth_failed_; }
  Shared& shared() noexcept { return shared_; }

  // For reply callbacks: the Connection of a context, and "one counted reply
  // arrived" (frees a pipelining slot).
  static Connection* FromContext(const redisAsyncContext* ac) noexcept;
  void ReplyDone() noexcept;

 private:
  static void HookAddWrite(void* self) noexcept;
  static void HookDelWrite(void* self) noexcept;
  static void HookNoop(void* self) noexcept;
  static void HookCleanup(void* self) noexcept;
  static void OnHandshakeReply(redisAsyncContext* ac, void* reply, void* privdata) noexcept;
  static void OnAuthReply(redisAsyncContext* ac, void* reply, void* privdata) noexcept;

  void QueueHandshake();
  void WriterLoop();
  void FailOpen(const std::string& why);

  Shared& shared_;
  spindle::WaitList* room_;
  const std::string role_;
  redisAsyncContext* ac_ = nullptr;
  int fd_ = -1;
  bool waited_ = false;      // the fd was given to wait_fd (forget_fd needed)
  bool dead_ = true;         // no context (not opened yet, or torn down)
  bool ready_ = false;       // handshake done
  bool discarding_ = false;
  bool want_write_ = false;  // hiredis has output queued
  bool auth_failed_ = false;
  int handshake_pending_ = 0;
  size_t in_flight_ = 0;
  std::string error_;
  std::string handshake_error_;
  AutoResetEvent flush_;
  Fiber writer_;
};

}  // namespace spindle::redis::impl
