// body_buffer.hpp: the hand-over of one request's body from the connection's
// reader fiber (producer: frames as nginx sends them) to the handler fiber
// (consumer: Request::read_some).
//
// Fiber contract: both sides run on the same worker thread. Push() may suspend
// the reader while more than kHighWater bytes wait unread (back-pressure
// towards nginx); ReadSome() may suspend the handler until data, the end of
// the body, or a failure arrives. Storage is one string reused across
// requests, so steady state allocates nothing.
#pragma once

#include <spindle/deadline.hpp>
#include <spindle/sync.hpp>

#include <cstddef>
#include <cstdint>
#include <string>

namespace spindle::server {

class BodyBuffer {
 public:
  static constexpr size_t kHighWater = 256 * 1024;

  // Prepares for a new request whose body may hold up to `limit` bytes.
  void Reset(uint64_t limit);

  // Reader side. Push returns kOk, or the wait's status when the reader was
  // cancelled while waiting for room.
  WaitStatus Push(const uint8_t* data, size_t n);
  void End();
  // The request was cancelled (abort, disconnect): wake the consumer.
  void Fail();
  // The handler finished: later frames are dropped instead of buffered.
  void ConsumerGone();

  // Handler side (see Request::read_some for the exceptions thrown).
  size_t ReadSome(void* buf, size_t len, Deadline deadline);

  bool ended() const { return ended_; }
  bool too_large() const { return too_large_; }
  uint64_t received() const { return received_; }
  // Bytes of memory the buffer holds (bounded near kHighWater + a frame).
  size_t capacity() const { return data_.capacity(); }

 private:
  size_t Pending() const { return data_.size() - read_pos_; }

  std::string data_;
  size_t read_pos_ = 0;
  uint64_t received_ = 0;
  uint64_t limit_ = 0;
  bool ended_ = false;
  bool failed_ = false;
  bool too_large_ = false;
  bool consumer_gone_ = false;
  AutoResetEvent readable_;  // the handler waits for data (one consumer)
  AutoResetEvent room_;      // the connection's reader waits for room
};

}  // namespace spindle::server
