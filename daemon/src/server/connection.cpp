// connection.cpp: see connection.hpp. The reader loop is Run(); the handler
// fiber is HandlerMain().
#include "server/connection.hpp"

#include <spindle/errors.hpp>
#include <spindle/io.hpp>

#include "engine/fiber_deadline.hpp"
#include "observe/observe.hpp"
#include "server/handler_call.hpp"
#include "server/log_throttle.hpp"
#include "server/observe_hooks.hpp"
#include "server/stats.hpp"
#include "server/strings.hpp"

#include <spdlog/spdlog.h>

#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <new>
#include <optional>

namespace spindle::server {
namespace {

constexpr size_t kInitialReadBuffer = 4096;
constexpr size_t kKeepReadBuffer = 64 * 1024;  // shrink back above this
constexpr size_t kShedOnExhaustion = 16;        // idle connections closed per refusal
// Retry-After of the 503 for an unhandled Redis or PostgreSQL failure: a few
// of the clients' reconnect attempts (their back-off is capped at 2 s by
// default).
constexpr std::chrono::seconds kBackendRetryAfter{5};
// At most one "answering 503" warning per route in this interval.
constexpr std::chrono::seconds kBackendLogInterval{1};

std::string_view View(const spindle_str_t& s) { return {s.data, s.len}; }

}  // namespace

Connection::Connection(WorkerContext& worker, int fd)
    : w_(worker),
      fd_(fd),
      out_(fd, worker.config.idle_timeout) {
  // Frames are checked against the protocol's ceilings here; a head over
  // the configured max_head_size is a request error (431), not a bad frame.
  limits_.max_head_size = SPINDLE_MAX_HEAD_SIZE;
  limits_.max_body_frame = SPINDLE_MAX_BODY_FRAME;
  next = w_.connections;
  if (next) next->prev = this;
  w_.connections = this;
  ++w_.open_connections;
  w_.stats().connections_open = w_.open_connections;
  w_.balance.Publish(w_.open_connections);
  last_activity_ = Clock::now();
  if (w_.observed) observe::OnAccept();
}

Connection::~Connection() {
  if (prev) prev->next = next;
  else w_.connections = next;
  if (next) next->prev = prev;
  --w_.open_connections;
  w_.stats().connections_open = w_.open_connections;
  w_.balance.Publish(w_.open_connections);
  if (w_.open_connections < w_.config.max_connections) w_.room.set();
  if (w_.open_connections == 0) w_.all_closed.set();
  if (w_.observed) observe::OnConnectionClosed();
}

void Connection::CloseWhenIdle() {
  // nginx opens a connection only to send a request on it, and may have sent
  // the next one on a kept-alive connection just now: a fresh connection, or
  // one with unread bytes, is served once more before it closes (closing it
  // would fail a request during a reload or a graceful stop).
  out_.set_announce_close(true);
  if (busy() || requests_ == 0 || HasUnreadBytes()) {
    close_after_ = true;
  } else if (!closing_) {
    closing_ = true;
    reader.cancel();
  }
}

void Connection::BeginDrain() {
  out_.set_announce_close(true);
  // A busy or fresh connection, or one with a request arriving, is served
  // once more (its answer announces the close); an idle one waits.
  if (busy() || requests_ == 0 || HasUnreadBytes()) close_after_ = true;
}

void Connection::CloseIfIdleFor(Clock::duration quiet) {
  if (closing_ || !idle() || close_after_ || Clock::now() - last_activity_ < quiet) return;
  if (HasUnreadBytes()) {
    close_after_ = true;  // nginx just sent one: served, announced, closed
    return;
  }
  closing_ = true;
  reader.cancel();
}

bool Connection::HasUnreadBytes() const {
  char byte;
  return rpos_ < rend_ || ::recv(fd_, &byte, 1, MSG_PEEK | MSG_DONTWAIT) > 0;
}

void Connection::NewReadBuffer() {
  rcap_ = kInitialReadBuffer;
  rbuf_.reset(new uint8_t[rcap_]);
}

bool Connection::SpeaksFrames() {
  NewReadBuffer();
  IoResult r = ReadMore();
  if (r.n <= 0) return false;
  rend_ = static_cast<size_t>(r.n);
  const uint8_t first = rbuf_[0];
  if (first == SPINDLE_PROTOCOL_VERSION) return true;
  if (first >= 'A' && first <= 'Z') {
    w_.plain_http(fd_, std::string_view(reinterpret_cast<const char*>(rbuf_.get()), rend_));
  } else {
    spdlog::warn("connection fd '{}': neither spindle frames nor HTTP (first byte '0x{:02x}'), "
                 "closing", fd_, first);
  }
  return false;
}

void Connection::Run() {
  if (w_.plain_http && !SpeaksFrames()) {
    forget_fd(fd_);
    ::close(fd_);
    return;
  }
  for (;;) {
    if (close_after_ && !busy() && requests_ > 0) break;
    spindle_frame_header_t hdr;
    const uint8_t* payload = nullptr;
    ReadStatus st = ReadFrame(hdr, &payload);
    if (st == ReadStatus::kFrame) {
      last_activity_ = Clock::now();
      bool keep = OnFrame(hdr, payload);
      Consume();
      if (!keep) break;
      continue;
    }
    if (st == ReadStatus::kOversizedHead) {
      last_activity_ = Clock::now();
      if (receiving_) {
        ProtocolError("request head before the previous request's end");
        break;
      }
      spdlog::info("request head of '{}' bytes over limits.max_head_size '{}': 431",
                   hdr.length, w_.config.limits.max_head_size);
      if (!DiscardPayload(hdr.length) || !AnswerOverLimit(431)) break;
      continue;
    }
    if (st == ReadStatus::kTimeout) {
      if (OnTimeout()) continue;
      break;
    }
    if (st == ReadStatus::kMalformed) {
      ProtocolError(spindle_strerror(last_error_));
      break;
    }
    // EOF, a read error, or the worker cancelled us (drain deadline): a
    // request still in progress has lost its client.
    if (handler_running_) {
      CancelHandler(st == ReadStatus::kCancelled ? "worker stopping" : "connection closed");
    }
    break;
  }
  if (handler_running_) CancelHandler("connection closing");
  body_.Fail();
  JoinHandler();
  spdlog::debug("connection fd '{}' closed after '{}' requests", fd_, requests_);
  forget_fd(fd_);
  ::close(fd_);
}

Connection::ReadStatus Connection::ReadFrame(spindle_frame_header_t& hdr,
                                             const uint8_t** payload) {
  if (!rbuf_) NewReadBuffer();
  for (;;) {
    size_t avail = rend_ - rpos_;
    size_t need = SPINDLE_FRAME_HEADER_SIZE;
    if (avail >= SPINDLE_FRAME_HEADER_SIZE) {
      int rc = spindle_frame_header_decode(rbuf_.get() + rpos_, avail, &limits_, &hdr);
      if (rc != SPINDLE_OK) {
        last_error_ = rc;
        return ReadStatus::kMalformed;
      }
      if (hdr.type == SPINDLE_FRAME_REQUEST_HEAD &&
          hdr.length > w_.config.limits.max_head_size) {
        return ReadStatus::kOversizedHead;
      }
      need = SPINDLE_FRAME_HEADER_SIZE + hdr.length;
      if (avail >= need) {
        *payload = rbuf_.get() + rpos_ + SPINDLE_FRAME_HEADER_SIZE;
        frame_size_ = need;
        in_frame_ = false;
        return ReadStatus::kFrame;
      }
    }
    if (avail > 0 && !in_frame_) {
      in_frame_ = true;
      frame_start_ = Clock::now();
    }
    // Make room for the whole frame (its length was checked against the
    // limits above, before this allocation).
    if (rcap_ - rpos_ < need) {
      if (rcap_ < need) {
        size_t cap = std::max(need, rcap_ * 2);
        std::unique_ptr<uint8_t[]> bigger(new uint8_t[cap]);
        std::memcpy(bigger.get(), rbuf_.get() + rpos_, avail);
        rbuf_ = std::move(bigger);
        rcap_ = cap;
      } else {
        std::memmove(rbuf_.get(), rbuf_.get() + rpos_, avail);
      }
      rpos_ = 0;
      rend_ = avail;
    }
    IoResult r = ReadMore();
    if (r.n > 0) {
      rend_ += static_cast<size_t>(r.n);
      continue;
    }
    if (r.err == 0) return ReadStatus::kClosed;
    if (r.err == ETIMEDOUT) return ReadStatus::kTimeout;
    if (r.err == ECANCELED) return ReadStatus::kCancelled;
    if (r.err != ECONNRESET) {
      spdlog::warn("connection fd '{}': read failed: '{}'", fd_, std::strerror(r.err));
    }
    return ReadStatus::kError;
  }
}

bool Connection::DiscardPayload(uint32_t len) {
  rpos_ += SPINDLE_FRAME_HEADER_SIZE;
  size_t left = len;
  for (;;) {
    size_t take = std::min(left, rend_ - rpos_);
    rpos_ += take;
    left -= take;
    if (rpos_ == rend_) rpos_ = rend_ = 0;
    if (left == 0) return true;
    IoResult r = read_some(fd_, rbuf_.get() + rend_, rcap_ - rend_,
                           Deadline::after(w_.config.idle_timeout));
    if (r.n <= 0) return false;
    rend_ += static_cast<size_t>(r.n);
  }
}

bool Connection::AnswerOverLimit(int status) {
  JoinHandler();
  ++requests_;
  ++w_.stats().requests;
  Request& r = request_;
  r.method_ = r.uri_ = r.protocol_ = r.path_ = r.query_ = {};
  r.remote_addr_ = r.scheme_ = r.host_ = {};
  r.deadline_ = Deadline::never();
  r.headers_.clear();
  r.params_.clear();
  r.route_ = {};
  r.has_body_ = false;
  r.content_length_ = -1;
  r.body_ = &body_;
  body_.Reset(0);
  receiving_ = true;
  request_start_ = Clock::now();
  StartHandler(nullptr, status, {});
  return true;
}

// After a request's end frame nginx sends nothing until our response is
// complete, so a read would only return EAGAIN: park on readiness first and
// save that syscall on every request.
IoResult Connection::ReadMore() {
  Deadline deadline = Deadline::after(w_.config.idle_timeout);
  // The earliest of: idle, the partial frame's deadline, request_timeout.
  if (in_frame_) {
    deadline = Deadline::earliest(deadline, Deadline::at(frame_start_ + w_.config.idle_timeout));
  }
  auto limit = w_.config.request_timeout;
  if (handler_running_ && limit.count() > 0) {
    deadline = Deadline::earliest(deadline, Deadline::at(request_start_ + limit));
  }
  if (idle_after_end_) {
    idle_after_end_ = false;
    // Nothing buffered: the read buffer goes while the connection waits, so
    // a waiting request (a long poll, a slow handler) or an idle kept-alive
    // connection holds none (nginx frees its buffers the same way).
    if (rpos_ == rend_) {
      rbuf_.reset();
      rcap_ = rpos_ = rend_ = 0;
    }
    IoWait wait = wait_fd(fd_, kReadable, deadline);
    if (!rbuf_) NewReadBuffer();
    if (wait.status == WaitStatus::kTimeout) return {-1, ETIMEDOUT};
    if (wait.status == WaitStatus::kCancelled) return {-1, ECANCELED};
  }
  return read_some(fd_, rbuf_.get() + rend_, rcap_ - rend_, deadline);
}

void Connection::Consume() {
  rpos_ += frame_size_;
  frame_size_ = 0;
  if (rpos_ == rend_) {
    rpos_ = rend_ = 0;
    // A big body frame grew the buffer; do not keep it on an idle connection.
    if (rcap_ > kKeepReadBuffer && !busy()) NewReadBuffer();
  }
}

bool Connection::OnTimeout() {
  Clock::time_point now = Clock::now();
  if (in_frame_ && now - frame_start_ >= w_.config.idle_timeout) {
    ++w_.stats().protocol_errors;
    spdlog::error("connection fd '{}': a frame from nginx still incomplete after "
                  "idle_timeout '{}ms', closing", fd_, w_.config.idle_timeout.count());
    if (handler_running_) CancelHandler("incomplete frame");
    return false;
  }
  if (handler_running_) {
    auto limit = w_.config.request_timeout;
    if (limit.count() > 0 && now - request_start_ >= limit) return OnRequestTimeout();
    return true;
  }
  if (Clock::now() - last_activity_ < w_.config.idle_timeout) return true;
  spdlog::debug("connection fd '{}' idle for '{}ms', closing", fd_,
                w_.config.idle_timeout.count());
  return false;
}

// request_timeout passed: the handler's waits are cancelled; nginx gets a
// 504 if no head went out yet (the connection stays usable), otherwise an
// abort (it cannot tell where the response stopped, so the connection ends).
bool Connection::OnRequestTimeout() {
  spdlog::warn("request on route '{}' exceeded request_timeout '{}ms', cancelling",
               request_.route(), w_.config.request_timeout.count());
  CancelHandler("request timeout");
  JoinHandler();
  if (!response_.head_sent() && !out_.broken()) {
    SendBuiltin(504, "request_timeout exceeded");
    body_.ConsumerGone();
    return !out_.broken();
  }
  if (!response_.finished() && !out_.broken()) SendAbort("request_timeout exceeded");
  return false;
}

bool Connection::OnFrame(const spindle_frame_header_t& hdr, const uint8_t* payload) {
  switch (hdr.type) {
    case SPINDLE_FRAME_REQUEST_HEAD:
      if (receiving_) {
        ProtocolError("request head before the previous request's end");
        return false;
      }
      return OnRequestHead(payload, hdr.length);
    case SPINDLE_FRAME_REQUEST_BODY:
      if (!receiving_) {
        ProtocolError("body frame outside a request");
        return false;
      }
      if (body_.Push(payload, hdr.length) != WaitStatus::kOk) {
        CancelHandler("worker stopping");
        return false;
      }
      return true;
    case SPINDLE_FRAME_REQUEST_END:
      if (!receiving_) {
        ProtocolError("end frame outside a request");
        return false;
      }
      receiving_ = false;
      body_.End();
      idle_after_end_ = true;
      return true;
    case SPINDLE_FRAME_ABORT:
      // nginx gave up on this request (client went away). Cancel the
      // handler; the connection stays usable only if nothing of a response
      // was written yet.
      if (!receiving_ && !handler_running_) return true;
      receiving_ = false;
      if (handler_running_) CancelHandler("aborted by nginx");
      JoinHandler();
      return !response_started_;
    default:
      ProtocolError("unexpected frame type from nginx");
      return false;
  }
}

bool Connection::OnRequestHead(const uint8_t* payload, uint32_t len) {
  // nginx sends the next head only after our RESPONSE_END; the handler fiber
  // may still be returning from its function.
  JoinHandler();
  head_storage_.assign(reinterpret_cast<const char*>(payload), len);
  Request& r = request_;
  r.params_.clear();
  r.headers_.clear();
  // The codec's iterator checks every field (params first, then headers);
  // the views point into head_storage_. A head is at most max_head_size
  // bytes, which bounds the fields kept here.
  spindle_request_head_t h{};
  spindle_fields_t fields;
  spindle_field_t f;
  spindle_status_t rc = spindle_request_head_open(
      reinterpret_cast<const uint8_t*>(head_storage_.data()), len, &h, &fields);
  while (rc == SPINDLE_OK && (rc = spindle_fields_next(&fields, &f)) == SPINDLE_OK) {
    auto& into = r.params_.size() < h.nparams ? r.params_ : r.headers_;
    into.push_back({View(f.name), View(f.value)});
  }
  if (rc != SPINDLE_DONE) {
    last_error_ = rc;
    ProtocolError(spindle_strerror(rc));
    return false;
  }
  ++requests_;
  ++w_.stats().requests;
  r.method_ = View(h.method);
  r.uri_ = View(h.uri);
  r.protocol_ = View(h.protocol);
  r.remote_addr_ = View(h.remote_addr);
  r.scheme_ = View(h.scheme);
  r.host_ = View(h.host);
  // Routing uses the path nginx matched its location on (decoded, dot
  // segments merged); the query string comes from the raw URI.
  r.path_ = View(h.path);
  size_t q = r.uri_.find('?');
  r.query_ = q == std::string_view::npos ? std::string_view() : r.uri_.substr(q + 1);
  r.has_body_ = (h.flags & SPINDLE_REQUEST_HAS_BODY) != 0;
  r.content_length_ = h.content_length;
  r.body_ = &body_;
  body_.Reset(w_.config.limits.max_body_size);
  receiving_ = true;
  request_start_ = Clock::now();
  r.deadline_ = w_.config.request_timeout.count() > 0
                    ? Deadline::at(request_start_ + w_.config.request_timeout)
                    : Deadline::never();

  const config::LimitsConfig& limits = w_.config.limits;
  if (h.nheaders > limits.max_headers || h.nparams > limits.max_headers) {
    spdlog::info("request with '{}' headers and '{}' params over limits.max_headers '{}': 431",
                 h.nheaders, h.nparams, limits.max_headers);
    r.route_ = {};
    StartHandler(nullptr, 431, {});
    return true;
  }
  if (r.uri_.size() > limits.max_uri_length) {
    spdlog::info("request URI of '{}' bytes over limits.max_uri_length '{}': 414",
                 r.uri_.size(), limits.max_uri_length);
    r.route_ = {};
    StartHandler(nullptr, 414, {});
    return true;
  }
  if (!IsNormalisedPath(r.path_)) {
    // Not printed: it is client bytes (a decoded %0A would forge a log line).
    spdlog::info("request path of '{}' bytes is not a normalised absolute path: 400",
                 r.path_.size());
    r.route_ = {};
    StartHandler(nullptr, 400, {});
    return true;
  }
  Router::Match m = w_.router.find(r.method_, r.path_, r.path_params_);
  if (m.kind == Router::MatchKind::kFound) {
    r.route_ = m.route->pattern;
    if (r.content_length_ > 0 &&
        static_cast<uint64_t>(r.content_length_) > w_.config.limits.max_body_size) {
      StartHandler(nullptr, 413, {});
    } else {
      StartHandler(m.route, 0, {});
    }
  } else if (m.kind == Router::MatchKind::kMethodNotAllowed) {
    r.route_ = {};
    StartHandler(nullptr, 405, std::move(m.allow));
  } else if (m.kind == Router::MatchKind::kRedirect) {
    // A bare mount: 301 for GET and HEAD; 308 for other methods, so the
    // client repeats the method and body at the mount's slash.
    r.route_ = {};
    if (!r.query_.empty()) m.location.append("?").append(r.query_);
    StartHandler(nullptr, r.method_ == "GET" || r.method_ == "HEAD" ? 301 : 308,
                 std::move(m.location));
  } else {
    r.route_ = {};
    StartHandler(nullptr, 404, {});
  }
  return true;
}

void Connection::StartHandler(const Router::Route* route, int builtin_status,
                              std::string builtin_header) {
  route_ = route;
  builtin_status_ = builtin_status;
  builtin_header_ = std::move(builtin_header);
  out_.BeginResponse();
  response_.Reset(&out_, w_.config.limits.max_response_head_size);
  response_started_ = false;
  cancelled_ = false;
  handler_running_ = true;
  // "GET /users/{id}": the watchdog's report names the route, and the
  // metrics count its slow slices under the same label.
  std::string name = route ? route->method + " " + route->pattern : std::to_string(builtin_status);
  try {
    handler_ = spawn([this] { HandlerMain(); }, std::move(name));
  } catch (const std::bad_alloc&) {
    // No stack for the handler (max_fibers, vm.max_map_count): answer 503
    // from this reader fiber; the body frames that follow are dropped.
    if (w_.observed) observe::OnSpawnFailure();
    ++w_.stats().rejected;
    spdlog::warn("request on route '{}' answered 503: no fiber stack for its handler",
                 request_.route());
    SendBuiltin(503, ReasonPhrase(503));
    body_.ConsumerGone();
    handler_running_ = false;
    ShedIdleConnections(w_, kShedOnExhaustion);
  }
}

size_t ShedIdleConnections(WorkerContext& ctx, size_t max) {
  size_t shed = 0;
  for (Connection* c = ctx.connections; c && shed < max; c = c->next) {
    if (c->idle()) {
      c->CloseWhenIdle();  // cancels its reader; the fiber ends soon
      ++shed;
    }
  }
  if (shed > 0) spdlog::info("out of fibers: closing '{}' idle connections", shed);
  return shed;
}

void Connection::CancelHandler(const char* why) {
  body_.Fail();
  if (!handler_running_ || cancelled_) return;
  cancelled_ = true;
  if (!handler_.done()) {
    ++w_.stats().cancelled;
    spdlog::debug("request on route '{}' cancelled: {}", request_.route(), why);
  }
  handler_.cancel();
}

void Connection::JoinHandler() {
  if (handler_.joinable()) handler_.join();
}

void Connection::HandlerMain() {
  std::optional<RequestObservation> observed;
  if (w_.observed) observed.emplace(w_.route_index.Get(route_), request_start_);
  {
    AdmissionSlot slot(w_.admission);
    if (builtin_status_ != 0) {
      SendBuiltin(builtin_status_, ReasonPhrase(builtin_status_));
    } else {
      Clock::time_point queued_at = Clock::now();
      WaitStatus st = slot.Acquire(Deadline::after(w_.config.queue_timeout));
      if (observed) observed->set_queue_wait(Clock::now() - queued_at);
      if (st == WaitStatus::kOk) {
        RunRoute();
      } else if (st == WaitStatus::kTimeout) {
        ++w_.stats().rejected;
        SendBuiltin(503, ReasonPhrase(503));
      }
    }
    body_.ConsumerGone();
  }
  // 499 (nginx's "client closed request") when nothing complete went out.
  bool gone = !response_.head_sent() || (cancelled_ && !response_.finished());
  if (observed) {
    observed->Finish(request_.method(), request_.uri(), gone ? 499 : response_.status(),
                     out_.body_bytes());
  }
  handler_running_ = false;
  if ((close_after_ || w_.draining) && !receiving_) {
    if (out_.close_announced() || !w_.draining) {
      close_after_ = true;
      closing_ = true;
      reader.cancel();
    } else {
      // Its head went out before the drain began, so nginx may reuse the
      // connection: closing it now could fail nginx's next request on it.
      // It is idle from now on; the drain closes it once it is quiet.
      close_after_ = false;
      last_activity_ = Clock::now();
    }
  }
}

void Connection::RunRoute() {
  using Kind = HandlerOutcome::Kind;
  // The handler's Redis and PostgreSQL calls are capped by its deadline.
  engine::SetInheritedDeadline(request_.deadline());
  HandlerOutcome outcome = CallHandler(*route_, request_, response_);
  response_started_ = out_.wrote_any() || out_.broken();
  switch (outcome.kind) {
    case Kind::kReturned:
    case Kind::kGone:
      return;
    case Kind::kHttp:
      return FailResponse(outcome.status, outcome.message, outcome.message,
                          std::chrono::seconds(0), outcome.json);
    case Kind::kUnavailable: {
      // One line per route per second while the backend is down, not one per
      // request; the lines held back are counted on the next one.
      thread_local LogThrottle throttle(kBackendLogInterval);
      uint64_t held = 0;
      if (throttle.Allow(request_.route(), Clock::now(), &held)) {
        if (held == 0) {
          spdlog::warn("handler for route '{}': {}, answering 503", request_.route(),
                       outcome.message);
        } else {
          spdlog::warn("handler for route '{}': {}, answering 503 ({} more like it since "
                       "the last line)", request_.route(), outcome.message, held);
        }
      }
      return FailResponse(503, ReasonPhrase(503), outcome.message, kBackendRetryAfter);
    }
    case Kind::kError:
      ++w_.stats().handler_errors;
      spdlog::error("handler for route '{}' failed: '{}'", request_.route(), outcome.message);
      return FailResponse(500, ReasonPhrase(500), outcome.message);
  }
}

void Connection::FailResponse(int status, std::string_view text, std::string_view reason,
                              std::chrono::seconds retry_after, bool json) {
  if (!response_.head_sent()) {
    SendBuiltin(status, text, retry_after, json);
  } else if (!response_.finished()) {
    SendAbort(reason);
  }
}

void Connection::SendBuiltin(int status, std::string_view text,
                             std::chrono::seconds retry_after, bool json) {
  if (this_fiber::is_cancelled() || out_.broken()) return;
  response_.Reset(&out_, w_.config.limits.max_response_head_size);
  out_.Reset();
  try {
    if (!builtin_header_.empty() && status == builtin_status_) {
      if (status == 405) response_.set_header("Allow", builtin_header_);
      if (status == 301 || status == 308) response_.set_header("Location", builtin_header_);
    }
    if (status == 503) {
      if (retry_after.count() == 0) {
        retry_after = std::chrono::duration_cast<std::chrono::seconds>(w_.config.queue_timeout);
      }
      response_.set_header("Retry-After",
                           std::to_string(std::max<long long>(1, retry_after.count())));
    }
    if (json) {
      response_.send(status, "application/json", text);
    } else {
      std::string body(text);
      body += '\n';
      response_.send(status, "text/plain; charset=utf-8", body);
    }
  } catch (const ClientGone&) {
  }
  response_started_ = out_.wrote_any() || out_.broken();
}

void Connection::SendAbort(std::string_view reason) {
  out_.Reset();
  out_.AppendAbort(reason);
  (void)out_.Flush();
  response_.finished_ = true;
}

void Connection::ProtocolError(const char* what) {
  ++w_.stats().protocol_errors;
  spdlog::error("connection fd '{}': malformed frame from nginx: '{}', closing", fd_, what);
  if (handler_running_) CancelHandler("malformed frame");
}

}  // namespace spindle::server
