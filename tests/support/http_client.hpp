// HttpClient: a small blocking HTTP/1.1 client over a raw TCP socket, for
// tests that drive nginx. Sends a request (method, path, headers, a body with
// Content-Length, or a chunked body in pieces with delays between them),
// reads the status, headers and body (Content-Length, chunked, or until
// close), records when each body piece arrived (to check streaming), and
// keeps the connection alive when asked.
//
// Thread contract: blocking calls for a test thread (not for fibers). Every
// socket wait is bounded by io_timeout; failures throw HttpError (a
// std::runtime_error) saying which kind of failure it was, so load clients
// can count connect failures, resets and timeouts apart.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace spindle::test {

using Headers = std::vector<std::pair<std::string, std::string>>;

class HttpError : public std::runtime_error {
 public:
  enum class Kind {
    kConnect,   // connect() failed (nothing listening, refused, backlog full)
    kClosed,    // the server closed or reset the connection without an answer
    kTimeout,   // no progress within io_timeout
    kProtocol,  // an unparseable answer
  };
  HttpError(Kind kind, const std::string& what) : std::runtime_error(what), kind_(kind) {}
  Kind kind() const noexcept { return kind_; }

 private:
  Kind kind_;
};

struct HttpRequest {
  std::string method = "GET";
  std::string target = "/";  // path and query
  Headers headers;           // Host is added if missing
  std::string body;          // sent with Content-Length when non-empty (or when
                             // send_content_length_zero) and chunks is empty
  bool send_content_length_zero = false;
  // A non-empty list sends "Transfer-Encoding: chunked", one HTTP chunk per
  // element, sleeping chunk_delay before each chunk after the first.
  std::vector<std::string> chunks;
  std::chrono::milliseconds chunk_delay{0};
  bool keep_alive = true;  // false adds "Connection: close"
};

struct BodyPiece {
  std::chrono::steady_clock::time_point at;  // when recv() returned it
  size_t bytes;                              // body bytes it carried
};

struct HttpResponse {
  int status = 0;
  std::string reason;
  Headers headers;                // in arrival order
  std::string body;               // de-chunked
  std::vector<BodyPiece> pieces;  // one per recv() that carried body bytes
  bool chunked = false;
  bool complete = false;          // the body ended as its framing said
                                  // (false: the server closed mid-body)

  // First header with this name (case-insensitive), if any.
  std::optional<std::string> Header(std::string_view name) const;
  size_t HeaderCount(std::string_view name) const;
};

class HttpClient {
 public:
  explicit HttpClient(uint16_t port, std::string host = "127.0.0.1",
                      std::chrono::milliseconds io_timeout = std::chrono::seconds(10));
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // Sends the request and reads the whole response. Connects (or reconnects
  // when the server closed a kept-alive connection) as needed.
  HttpResponse Send(const HttpRequest& request);

  // Lower level: write the request only / read one response. `on_piece` is
  // called with each body piece as it arrives (raw bytes on the wire for
  // chunked bodies are decoded first); returning false stops reading and
  // closes the connection (an abandoning client).
  void SendRequest(const HttpRequest& request);
  HttpResponse ReadResponse(bool head_request = false,
                            const std::function<bool(std::string_view)>& on_piece = {});
  void SendRaw(std::string_view bytes);

  void Connect();
  void Close();
  bool connected() const { return fd_ >= 0; }
  // false: ReadResponse leaves HttpResponse::body empty (pieces and
  // on_piece still see every byte), for responses too big to hold.
  void set_keep_body(bool keep) { keep_body_ = keep; }
  int connects() const { return connects_; }  // TCP connections opened so far

 private:
  void WriteAll(std::string_view bytes);
  // Reads more bytes into buf_; false on EOF. Throws on timeout or error.
  bool Fill();
  std::string ReadLine();

  uint16_t port_;
  std::string host_;
  std::chrono::milliseconds io_timeout_;
  int fd_ = -1;
  int connects_ = 0;
  std::string buf_;  // received, not yet consumed
  bool server_closes_ = false;
  bool eof_ = false;  // the server closed (or reset) the connection
  bool keep_body_ = true;
};

// One-shot helpers (new connection, Connection: close).
HttpResponse HttpGet(uint16_t port, const std::string& target, Headers headers = {});
HttpResponse HttpSend(uint16_t port, HttpRequest request);

}  // namespace spindle::test
