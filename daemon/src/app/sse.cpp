// sse.cpp: EventStream and format_event (<spindle/sse.hpp>).
#include <spindle/sse.hpp>

#include <stdexcept>

namespace spindle {
namespace {

void CheckLineField(std::string_view what, std::string_view value, bool nul_too) {
  if (value.find_first_of("\r\n") != std::string_view::npos ||
      (nul_too && value.find('\0') != std::string_view::npos)) {
    throw std::invalid_argument("server-sent event " + std::string(what) +
                                (nul_too ? " contains CR, LF or NUL" : " contains CR or LF"));
  }
}

}  // namespace

std::string format_event(const ServerSentEvent& e) {
  CheckLineField("event name", e.event, false);
  CheckLineField("id", e.id, true);
  std::string out;
  out.reserve(e.data.size() + e.event.size() + e.id.size() + 32);
  if (e.retry) out.append("retry: ").append(std::to_string(e.retry->count())).append("\n");
  if (!e.id.empty()) out.append("id: ").append(e.id).append("\n");
  if (!e.event.empty()) out.append("event: ").append(e.event).append("\n");
  // One data: line per line of `data`; CRLF, LF and CR all end a line (the
  // client would split on each of them anyway).
  std::string_view rest = e.data;
  for (;;) {
    size_t end = rest.find_first_of("\r\n");
    out.append("data: ").append(rest.substr(0, end)).append("\n");
    if (end == std::string_view::npos) break;
    size_t skip = rest[end] == '\r' && end + 1 < rest.size() && rest[end + 1] == '\n' ? 2 : 1;
    rest.remove_prefix(end + skip);
  }
  out.append("\n");
  return out;
}

EventStream::EventStream(Request& req, Response& res, EventStreamOptions options)
    : res_(res), options_(options), last_write_(Clock::now()) {
  if (res.head_sent()) throw std::logic_error("EventStream: the response head was already sent");
  if (auto id = req.header("Last-Event-ID")) last_event_id_ = *id;
  res.set_status(200);
  res.set_header("Content-Type", "text/event-stream");
  res.set_header("Cache-Control", "no-store");
  res.set_header("X-Accel-Buffering", "no");
  if (options_.retry) {
    Write("retry: " + std::to_string(options_.retry->count()) + "\n\n");
  } else {
    res.flush();  // the head alone: the client's EventSource opens now
  }
}

void EventStream::send(const ServerSentEvent& event) { Write(format_event(event)); }

void EventStream::comment(std::string_view text) {
  CheckLineField("comment", text, false);
  std::string line = ":";
  if (!text.empty()) line.append(" ").append(text);
  line.append("\n\n");
  Write(line);
}

void EventStream::Write(std::string_view bytes) {
  res_.write(bytes);
  res_.flush();
  last_write_ = Clock::now();
}

}  // namespace spindle
