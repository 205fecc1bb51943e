// request.hpp: the request a handler receives (public app API).
//
// A Request lives in its connection and is valid for the duration of the
// handler call only; string_views it returns point into storage that the
// connection reuses for the next request. Accessors never suspend.
// read_some()/read_all() may suspend the calling fiber until body frames
// arrive from nginx; they throw ClientGone when the request is cancelled
// (nginx aborted it or the connection closed) and HttpError(408) when their
// deadline passes. The request body is streamed: frames are handed to the
// handler as nginx forwards them, never buffered whole by the server.
#pragma once

#include <spindle/deadline.hpp>

#include <nlohmann/json_fwd.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace spindle {

namespace server {
class BodyBuffer;
class Connection;
}  // namespace server

// A name/value pair from the request head (header or spindle_param).
struct Field {
  std::string_view name;
  std::string_view value;
};

class Request {
 public:
  Request() = default;
  Request(const Request&) = delete;
  Request& operator=(const Request&) = delete;

  std::string_view method() const { return method_; }
  // The raw request URI as the client sent it, query string included (after
  // a `rewrite` in nginx: the rewritten URI, escaped, with its arguments).
  std::string_view uri() const { return uri_; }
  // The path nginx matched its location on and the router routes on:
  // percent-decoded, "." and ".." segments resolved, slashes merged. An
  // encoded slash (%2F) is a '/' here, as it is to nginx's locations.
  std::string_view path() const { return path_; }
  // The part after '?', empty when there is none.
  std::string_view query_string() const { return query_; }
  std::string_view protocol() const { return protocol_; }

  // The client's address as nginx sees it ($remote_addr: "203.0.113.7",
  // "2001:db8::1", or "unix:" for a client on a unix socket); behind a
  // proxy, what nginx's realip module made of it.
  std::string_view remote_addr() const { return remote_addr_; }
  // "http" or "https": how the client reached nginx ($scheme).
  std::string_view scheme() const { return scheme_; }
  // nginx's $host: the Host header's name, lowercased, without the port
  // (or the server block's name when the request has no Host).
  std::string_view host() const { return host_; }

  // When this request must be answered by: request_timeout after its head
  // arrived (never when request_timeout is 0), or earlier once
  // set_deadline() narrowed it. Redis and PostgreSQL calls made from the
  // handler's fiber are capped by it (as if called through until()); a call
  // past it throws redis::Timeout / pg::Timeout (503).
  Deadline deadline() const { return deadline_; }
  // Narrows the deadline (never extends it): the earlier of the two.
  void set_deadline(Deadline deadline);

  // The first query parameter called `name`, percent-decoded ('+' = space).
  std::optional<std::string> query(std::string_view name) const;
  // A query parameter as an integer; `fallback` when absent or not a number.
  long long query_int(std::string_view name, long long fallback) const;
  // Every query parameter called `name`, in order ("?tag=a&tag=b").
  std::vector<std::string> query_values(std::string_view name) const;

  // A `{name}` segment of the matched route pattern: a segment of path(),
  // so already percent-decoded (never decoded twice: "%252F" is "%2F").
  std::optional<std::string_view> path_param(std::string_view name) const;
  // The matched route pattern including the app's mount, e.g. "/users/{id}".
  std::string_view route() const { return route_; }

  // Request headers in arrival order; lookup is case-insensitive and returns
  // the first match.
  const std::vector<Field>& headers() const { return headers_; }
  std::optional<std::string_view> header(std::string_view name) const;
  // Every header called `name` (case-insensitive), in arrival order.
  std::vector<std::string_view> header_values(std::string_view name) const;
  // The value of the cookie called `name` from the Cookie header(s), the
  // first one when several have that name (<spindle/cookie.hpp>).
  std::optional<std::string_view> cookie(std::string_view name) const;

  // The spindle_param values nginx sent, in configuration order.
  const std::vector<Field>& params() const { return params_; }
  std::optional<std::string_view> param(std::string_view name) const;

  // Content-Length, or -1 when unknown (chunked upload) ; 0 without a body.
  int64_t content_length() const { return content_length_; }
  bool has_body() const { return has_body_; }

  // Reads up to `len` body bytes; returns 0 at the end of the body. May
  // suspend until a body frame arrives or `deadline` passes.
  size_t read_some(void* buf, size_t len, Deadline deadline = Deadline::never());
  // Reads the rest of the body; throws HttpError(413) once it exceeds `limit`.
  std::string read_all(size_t limit, Deadline deadline = Deadline::never());

  // --- Body readers of the app toolkit (forms: form.hpp, multipart.hpp) ---
  // The body as JSON (include <nlohmann/json.hpp>; app.hpp does). Every
  // failure is an HttpError with a JSON body {"error": ...}: 415 unless
  // Content-Type is application/json or */*+json (parameters allowed); 413
  // beyond `limit` bytes; 400 for malformed JSON (invalid UTF-8 included) or
  // arrays/objects nested deeper than kMaxJsonDepth (their recursive uses,
  // dump() and comparisons, would overflow a fiber's stack). May suspend.
  static constexpr size_t kMaxJsonDepth = 64;
  nlohmann::json json(size_t limit = 1 << 20, Deadline deadline = Deadline::never());

 private:
  friend class server::Connection;

  std::string_view method_, uri_, path_, query_, protocol_, route_;
  std::string_view remote_addr_, scheme_, host_;
  Deadline deadline_;
  std::vector<Field> headers_;
  std::vector<Field> params_;
  std::vector<std::pair<std::string_view, std::string_view>> path_params_;
  int64_t content_length_ = 0;
  bool has_body_ = false;
  server::BodyBuffer* body_ = nullptr;
};

// Percent-decodes `in` ('+' becomes a space when `plus_is_space`).
std::string UrlDecode(std::string_view in, bool plus_is_space = false);

}  // namespace spindle
