// response.hpp: the response a handler produces (public app API).
//
// The head (status + headers) goes out with the first write(), flush() or
// finish(); after that set_status()/set_header() throw std::logic_error.
// write() appends a RESPONSE_BODY frame to the connection's output buffer and
// sends the buffer once it holds a few KiB; flush() sends what is buffered
// now (use it after every chunk of a streamed response); finish() sends
// RESPONSE_END. A handler that returns without finish() is finished by the
// server, so a small response's HEAD, BODY and END frames leave in one
// writev. write(), flush(), finish() and send() may suspend the calling fiber
// while the socket is full; they throw ClientGone when the request was
// cancelled or the connection broke.
#pragma once

#include <nlohmann/json_fwd.hpp>

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace spindle {

namespace server {
class Connection;
class FrameWriter;
}  // namespace server

class Response {
 public:
  Response() = default;
  Response(const Response&) = delete;
  Response& operator=(const Response&) = delete;

  // Final statuses only: throws std::invalid_argument outside 200..599
  // (a 1xx would be an interim response to the client).
  void set_status(int status);
  int status() const { return status_; }
  // Replaces every header called `name` (case-insensitive) with one value.
  // Both throw std::invalid_argument for a name that is not an HTTP token
  // or a value with CR, LF or NUL (it would split the response).
  void set_header(std::string_view name, std::string_view value);
  // Adds a header, keeping existing ones of the same name (Set-Cookie).
  void add_header(std::string_view name, std::string_view value);

  // The head goes out with the first write/flush/finish; a head over
  // limits.max_response_head_size throws std::length_error there (the
  // handler's request then gets 500).
  void write(std::string_view chunk);
  void flush();
  void finish();
  // One-shot reply: status, Content-Type, Content-Length, body, end.
  void send(int status, std::string_view content_type, std::string_view body);
  // One-shot redirect: `status` (301, 302, 303, 307 or 308; anything else
  // is std::invalid_argument) with Location: `location` (a path such as
  // "/chat/" or an absolute URL; checked like any header value) and a short
  // text body naming it. 303 after a form POST sends the browser to GET it.
  void redirect(std::string_view location, int status = 302);
  // One-shot JSON reply: Content-Type application/json, body value.dump();
  // invalid UTF-8 in a string is sent as U+FFFD, never thrown. Include
  // <nlohmann/json.hpp> (app.hpp does).
  void json(const nlohmann::json& value, int status = 200);

  bool head_sent() const { return head_sent_; }
  bool finished() const { return finished_; }

 private:
  friend class server::Connection;

  void Reset(server::FrameWriter* out, size_t max_head_size);
  void SendHeadIfNeeded();

  server::FrameWriter* out_ = nullptr;
  size_t max_head_size_ = 0;  // RESPONSE_HEAD frame bytes
  int status_ = 200;
  // Header slots are reused across requests on a connection: only the first
  // n_headers_ are live, so steady-state requests allocate nothing here.
  std::vector<std::pair<std::string, std::string>> headers_;
  size_t n_headers_ = 0;
  bool head_sent_ = false;
  bool finished_ = false;
};

}  // namespace spindle
