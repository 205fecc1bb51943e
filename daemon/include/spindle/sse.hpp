// sse.hpp: server-sent events (public app API): a text/event-stream
// response with correctly framed events, heartbeat comments while nothing
// happens, the client's Last-Event-ID, and an end when the worker drains.
//
//   void Events(spindle::Request& req, spindle::Response& res) {
//     spindle::redis::Subscription sub = redis.subscribe({"room:lobby"});
//     spindle::EventStream stream(req, res);           // head goes out now
//     replay_since(stream.last_event_id(), stream);    // from your history
//     spindle::redis::Message m;
//     while (stream.next(sub, m) == spindle::ChannelStatus::kSuccess) {
//       stream.send(m.payload, "message", id_of(m));
//     }
//   }  // a timeout (drain) or closed source ends the handler; the server finishes
//
// nginx must not buffer the stream: the head carries X-Accel-Buffering: no.
// Keep spindle_read_timeout above the heartbeat interval, or nginx closes
// an idle stream.
//
// Fiber contract: the handler's fiber. send(), comment() and next() may
// suspend (writing, waiting) and throw ClientGone when the client left.
#pragma once

#include <spindle/channel.hpp>
#include <spindle/deadline.hpp>
#include <spindle/lifecycle.hpp>
#include <spindle/request.hpp>
#include <spindle/response.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace spindle {

// One event. `data` may hold several lines (split on LF, CRLF or CR into
// one data: line each, so the client's MessageEvent.data is `data` with
// LF line ends); `event`, `id` may not contain CR, LF (nor NUL in `id`):
// std::invalid_argument.
struct ServerSentEvent {
  std::string_view data;
  std::string_view event;   // empty: the client's default "message"
  std::string_view id;      // empty: no id: line (the client keeps its last)
  std::optional<std::chrono::milliseconds> retry;  // the client's reconnect delay
};

// The bytes of one event on the wire, its blank line included.
std::string format_event(const ServerSentEvent& event);

struct EventStreamOptions {
  // A comment line goes out after this long without a write, so nginx's
  // spindle_read_timeout and idle proxies never see a silent stream.
  std::chrono::milliseconds heartbeat{15000};
  // Sent first as retry: (the client's reconnect delay), when set.
  std::optional<std::chrono::milliseconds> retry;
};

class EventStream {
 public:
  // Starts the stream: 200, Content-Type text/event-stream, Cache-Control
  // no-store, X-Accel-Buffering: no, and sends the head at once (with the
  // retry: line, if any), so the client's EventSource opens. Call it before
  // anything else is written; throws std::logic_error after the head went
  // out, ClientGone when the client left.
  EventStream(Request& req, Response& res, EventStreamOptions options = {});
  EventStream(const EventStream&) = delete;
  EventStream& operator=(const EventStream&) = delete;

  // The Last-Event-ID header of a reconnecting EventSource (the id of the
  // last event it saw), or nullopt on a first connection.
  std::optional<std::string_view> last_event_id() const { return last_event_id_; }

  // Sends one event and flushes it to the client.
  void send(const ServerSentEvent& event);
  void send(std::string_view data, std::string_view event = {}, std::string_view id = {}) {
    send(ServerSentEvent{data, event, id, std::nullopt});
  }
  // A comment line (": text"), ignored by the client; flushed.
  void comment(std::string_view text = {});

  // Waits for the next item of `source` (anything with
  // `ChannelStatus pop_until(T&, Deadline)`: a Channel<T>, a
  // redis::Subscription, a pg::Subscription), sending a heartbeat comment
  // whenever `heartbeat` passes without a write. kSuccess with `out`;
  // kTimeout when `until` passed or the worker began to drain (draining()
  // says which: end the stream, the client reconnects to the new worker);
  // kClosed when the source closed; kCancelled when the client left.
  template <class Source, class T>
  ChannelStatus next(Source& source, T& out, Deadline until = Deadline::never()) {
    for (;;) {
      if (draining()) return ChannelStatus::kTimeout;
      const Deadline beat = Deadline::at(last_write_ + options_.heartbeat);
      const ChannelStatus st = wake_on_drain(
          [&] { return source.pop_until(out, Deadline::earliest(beat, until)); });
      if (st != ChannelStatus::kTimeout) return st;
      if (draining() || until.passed()) return ChannelStatus::kTimeout;
      if (beat.passed()) comment();
    }
  }

 private:
  void Write(std::string_view bytes);

  Response& res_;
  EventStreamOptions options_;
  std::optional<std::string_view> last_event_id_;
  Clock::time_point last_write_;
};

}  // namespace spindle
