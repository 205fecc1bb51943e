// connection.hpp: one connection from nginx (on the apps' socket or the
// admin socket: worker_context.hpp). Its reader fiber (Run) reads
// frames for the connection's whole life; each request gets a handler fiber,
// named after its route pattern, that waits for admission, runs the app's
// handler and writes the response.
//
// The reader keeps reading while a handler runs: body frames go to the
// handler through a BodyBuffer, and an ABORT frame, EOF or a malformed frame
// cancels the handler's fiber (Fiber::cancel), so its waits end with
// kCancelled and its resources are freed. Fiber contract: both fibers run on
// the worker thread; only the handler fiber writes to the socket, only the
// reader reads it. The object is deleted by the reader fiber when it ends,
// after the handler fiber was joined.
#pragma once

#include <spindle/fiber.hpp>
#include <spindle/io.hpp>
#include <spindle/request.hpp>
#include <spindle/response.hpp>
#include <spindle/router.hpp>

#include "server/body_buffer.hpp"
#include "server/frame_writer.hpp"
#include "server/worker_context.hpp"

#include <spindle_protocol.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

namespace spindle::server {

class Connection {
 public:
  Connection(WorkerContext& worker, int fd);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // The reader fiber's body; closes the socket before it returns.
  void Run();

  // A request is in progress (its body is arriving or its handler runs).
  bool busy() const { return receiving_ || handler_running_; }
  // Out of fibers: make the reader leave at its next wait (never
  // interrupts a running handler; the handler does this itself when it
  // ends, announcing the close in its response head).
  void CloseWhenIdle();
  // Draining (reload, stop): every response from now on announces
  // "Connection: close" and the connection closes after it; an idle one
  // stays open, for nginx may be sending on it right now, until
  // CloseIfIdleFor() finds it quiet.
  void BeginDrain();
  // Draining: closes the connection if it has been idle (kept alive, no
  // request, no unread byte) for at least `quiet`. nginx reuses its most
  // recently used keepalive connections first, so one quiet that long is
  // the least likely to be taken by nginx at the moment it closes.
  void CloseIfIdleFor(Clock::duration quiet);
  // Kept-alive and waiting for nginx's next request (not a fresh one).
  bool idle() const { return !busy() && requests_ > 0; }

  // Set by the worker right after spawning Run().
  Fiber reader;
  Connection* prev = nullptr;
  Connection* next = nullptr;

 private:
  bool HasUnreadBytes() const;
  // Admin socket (WorkerContext::plain_http set): reads the first bytes;
  // true for spindle frames (the version byte), else hands plain HTTP (an
  // ASCII capital) to plain_http, or logs anything else, and returns false.
  bool SpeaksFrames();
  // A fresh, empty read buffer of the initial size.
  void NewReadBuffer();
  // kOversizedHead: a REQUEST_HEAD within the protocol's ceiling but over
  // limits.max_head_size; its payload is still unread (DiscardPayload).
  enum class ReadStatus {
    kFrame, kOversizedHead, kClosed, kTimeout, kCancelled, kMalformed, kError
  };

  ReadStatus ReadFrame(spindle_frame_header_t& hdr, const uint8_t** payload);
  IoResult ReadMore();
  void Consume();
  bool OnFrame(const spindle_frame_header_t& hdr, const uint8_t* payload);
  bool OnRequestHead(const uint8_t* payload, uint32_t len);
  bool OnRequestTimeout();
  // Reads and drops the `len` payload bytes of the frame whose header is
  // at the read position. False if the connection failed meanwhile.
  bool DiscardPayload(uint32_t len);
  // A request over a limit (431/414): answered as a response, its body
  // frames dropped, the connection kept.
  bool AnswerOverLimit(int status);
  bool OnTimeout();
  // builtin_status != 0: the server answers it itself; `builtin_header` is
  // its Allow (405) or Location (301, 308) value.
  void StartHandler(const Router::Route* route, int builtin_status, std::string builtin_header);
  void CancelHandler(const char* why);
  void JoinHandler();
  void HandlerMain();
  void RunRoute();
  // A 503 carries Retry-After: `retry_after`, or queue_timeout when zero.
  // `text` is sent as text/plain with a newline added, or as it is with
  // `json` (an HttpError's JSON body).
  void SendBuiltin(int status, std::string_view text,
                   std::chrono::seconds retry_after = std::chrono::seconds(0), bool json = false);
  // The reply to a failed handler: `status` with `text` if the head is not
  // out yet, else an ABORT frame with `reason` (unless it finished).
  void FailResponse(int status, std::string_view text, std::string_view reason,
                    std::chrono::seconds retry_after = std::chrono::seconds(0), bool json = false);
  void SendAbort(std::string_view reason);
  void ProtocolError(const char* what);

  WorkerContext& w_;
  int fd_;

  // Read buffer: [rpos_, rend_) holds unread bytes; reused across requests.
  std::unique_ptr<uint8_t[]> rbuf_;
  size_t rcap_ = 0;
  size_t rpos_ = 0;
  size_t rend_ = 0;
  size_t frame_size_ = 0;
  int last_error_ = 0;
  spindle_limits_t limits_{};

  // Per-request state, reused for the next request on the connection.
  std::string head_storage_;
  Request request_;
  Response response_;
  BodyBuffer body_;
  FrameWriter out_;
  Fiber handler_;
  const Router::Route* route_ = nullptr;
  int builtin_status_ = 0;
  std::string builtin_header_;
  bool receiving_ = false;        // head seen, REQUEST_END not yet
  bool handler_running_ = false;  // handler fiber not finished
  bool response_started_ = false; // the current handler wrote something
  bool close_after_ = false;      // close once the handler is done
  bool closing_ = false;          // the reader was told to leave
  bool cancelled_ = false;        // the current handler was cancelled
  bool idle_after_end_ = false;   // nothing more is expected from nginx now
  Clock::time_point request_start_{};
  Clock::time_point last_activity_{};
  // A frame partly received: it must be complete within idle_timeout of its
  // first byte (a peer sending one byte at a time cannot hold us forever).
  bool in_frame_ = false;
  Clock::time_point frame_start_{};
  uint64_t requests_ = 0;
};

// Out of fibers: closes up to `max` idle kept-alive connections so their
// reader fibers' stacks serve new requests (as nginx drains idle keepalive
// connections when it runs out of connections). Returns how many.
size_t ShedIdleConnections(WorkerContext& ctx, size_t max);

}  // namespace spindle::server
