// FakeDaemon: a tiny stand-in for spindled, for the module tests. It listens
// on a unix socket in a temp dir, decodes each request with the protocol
// codec (head, body frames, end) and hands it to a test-supplied handler,
// which replies with well-formed or deliberately malformed frames.
//
// Thread contract: one accept thread plus one thread per connection; the
// handler runs on the connection's thread. Observers (accepts(),
// requests(), WaitFor) are safe from the test thread. The destructor stops
// and joins every thread (bounded: sockets are shut down to unblock them).
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "http_client.hpp"

#include <spindle_protocol.h>

#include "temp_dir.hpp"

namespace spindle::test {

struct FakeRequest {
  std::string method, uri, path, protocol;
  std::string remote_addr, scheme, host;  // nginx's $remote_addr, $scheme, $host
  uint16_t flags = 0;
  int64_t content_length = 0;
  Headers params;
  Headers headers;
  std::string body;
  std::vector<size_t> body_frames;  // payload size of each REQUEST_BODY
  bool ended = false;               // REQUEST_END arrived
  std::string wire;                 // every frame's bytes, as they arrived

  std::optional<std::string> Header(std::string_view name) const;
  std::optional<std::string> Param(std::string_view name) const;
};

// Frame builders for replies (see protocol/spindle_protocol.h).
std::string Frame(uint8_t type, std::string_view payload,
                  uint8_t version = SPINDLE_PROTOCOL_VERSION);
std::string ResponseHead(int status, const Headers& headers);
std::string ResponseBody(std::string_view data);
std::string ResponseEnd();
// A complete reply: head, the body in frames of at most `frame` bytes, end.
std::string Response(int status, const Headers& headers, std::string_view body,
                     size_t frame = 1 << 20);

class FakeConnection {
 public:
  explicit FakeConnection(int fd) : fd_(fd) {}
  bool Send(std::string_view bytes);  // false once the peer is gone
  void Close();                       // close now (a crashed daemon)
  bool closed() const { return fd_ < 0; }
  int fd() const { return fd_; }

 private:
  int fd_;
};

class FakeDaemon {
 public:
  using Handler = std::function<void(FakeConnection&, const FakeRequest&)>;

  FakeDaemon(const std::string& dir, Handler handler);
  ~FakeDaemon();
  FakeDaemon(const FakeDaemon&) = delete;
  FakeDaemon& operator=(const FakeDaemon&) = delete;

  const std::string& socket_path() const { return path_; }
  int accepts() const { return accepts_.load(); }
  // REQUEST_BODY frames received so far, across requests (updated live).
  size_t body_frames_seen() const { return body_frames_seen_.load(); }
  std::vector<FakeRequest> requests() const;
  // Waits (bounded) until pred() holds; pred runs under no lock.
  static bool WaitFor(const std::function<bool()>& pred,
                      std::chrono::milliseconds timeout = std::chrono::seconds(10));

 private:
  void AcceptLoop();
  void Serve(int fd);
  bool ReadExact(int fd, void* buf, size_t n);

  std::string path_;
  Handler handler_;
  int listen_fd_ = -1;
  int stop_pipe_[2] = {-1, -1};
  std::atomic<bool> stopping_{false};
  std::atomic<int> accepts_{0};
  std::atomic<size_t> body_frames_seen_{0};
  mutable std::mutex mu_;
  std::vector<FakeRequest> requests_;
  std::vector<int> conn_fds_;
  std::vector<std::thread> threads_;
  std::thread acceptor_;
};

}  // namespace spindle::test
