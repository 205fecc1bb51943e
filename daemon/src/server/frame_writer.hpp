// frame_writer.hpp: the response side of one connection: encodes RESPONSE_*
// and ABORT frames into a reusable output buffer and writes it to the socket.
//
// Small frames are copied into the buffer so a short response (HEAD + BODY +
// END) leaves in one write; a large body chunk is sent with writev straight
// from the caller's memory. Fiber contract: used only by the connection's
// current handler fiber; Flush() and AppendBody() may suspend while the
// socket is full. A failed write marks the writer broken and every later call
// returns false at once (the connection is going away).
#pragma once

#include <spindle/deadline.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace spindle::server {

class FrameWriter {
 public:
  static constexpr size_t kCopyLimit = 8 * 1024;    // copy chunks up to this
  static constexpr size_t kFlushAt = 16 * 1024;     // auto-flush threshold

  FrameWriter(int fd, std::chrono::milliseconds write_timeout)
      : fd_(fd), write_timeout_(write_timeout) {}

  // The RESPONSE_HEAD frame's size (header included) AppendHead would write
  // for these headers, a "Connection: close" it adds while draining included.
  size_t HeadFrameSize(const std::vector<std::pair<std::string, std::string>>& headers,
                       size_t n_headers) const;
  void AppendHead(int status,
                  const std::vector<std::pair<std::string, std::string>>& headers,
                  size_t n_headers);
  [[nodiscard]] bool AppendBody(std::string_view data);
  void AppendEnd();
  void AppendAbort(std::string_view reason);
  [[nodiscard]] bool Flush();

  bool broken() const { return broken_; }
  // True once any byte of the current response reached the socket.
  bool wrote_any() const { return wrote_any_; }
  // Body bytes appended for the current response (metrics, access log).
  uint64_t body_bytes() const { return body_bytes_; }
  void Reset() { buf_.clear(); }
  void BeginResponse() {
    buf_.clear();
    wrote_any_ = false;
    body_bytes_ = 0;
    close_announced_ = false;
  }
  // While on, every response head gets "Connection: close": the connection
  // closes after this response, and nginx must not put it back into its
  // keepalive cache (it would send the next request into a closed socket).
  void set_announce_close(bool on) { announce_close_ = on; }
  // The current response's head went out with "Connection: close".
  bool close_announced() const { return close_announced_; }

 private:
  char* Grow(size_t n);
  void PutHeader(uint8_t type, uint32_t length);
  [[nodiscard]] bool WriteWithTail(std::string_view tail);
  Deadline WriteDeadline() const;

  int fd_;
  std::chrono::milliseconds write_timeout_;
  std::string buf_;
  bool broken_ = false;
  bool wrote_any_ = false;
  uint64_t body_bytes_ = 0;
  bool announce_close_ = false;
  bool close_announced_ = false;
};

}  // namespace spindle::server
