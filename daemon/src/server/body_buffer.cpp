// body_buffer.cpp: see body_buffer.hpp.
#include "server/body_buffer.hpp"

#include <spindle/errors.hpp>

#include <algorithm>
#include <cstring>

namespace spindle::server {

void BodyBuffer::Reset(uint64_t limit) {
  data_.clear();
  read_pos_ = 0;
  received_ = 0;
  limit_ = limit;
  ended_ = failed_ = too_large_ = consumer_gone_ = false;
  // A set left over from the last request only costs its waiter one look.
}

WaitStatus BodyBuffer::Push(const uint8_t* data, size_t n) {
  received_ += n;
  if (consumer_gone_ || too_large_) return WaitStatus::kOk;
  if (received_ > limit_) {
    // The handler sees HttpError(413) on its next read; drop the bytes.
    too_large_ = true;
    readable_.set();
    return WaitStatus::kOk;
  }
  while (Pending() >= kHighWater && !consumer_gone_ && !failed_) {
    WaitStatus st = room_.wait();
    if (st != WaitStatus::kOk) return st;
  }
  if (consumer_gone_ || failed_) return WaitStatus::kOk;
  // Drop what the handler has read once it is at least as much as what is
  // still unread (the move then costs at most kHighWater bytes), so the
  // buffer stays near kHighWater + one frame however slowly the handler
  // reads, instead of holding the whole body.
  if (read_pos_ > 0 && read_pos_ >= Pending()) {
    data_.erase(0, read_pos_);
    read_pos_ = 0;
  }
  data_.append(reinterpret_cast<const char*>(data), n);
  readable_.set();
  return WaitStatus::kOk;
}

void BodyBuffer::End() {
  ended_ = true;
  readable_.set();
}

void BodyBuffer::Fail() {
  failed_ = true;
  readable_.set();
  room_.set();
}

void BodyBuffer::ConsumerGone() {
  consumer_gone_ = true;
  data_.clear();
  read_pos_ = 0;
  room_.set();
}

size_t BodyBuffer::ReadSome(void* buf, size_t len, Deadline deadline) {
  for (;;) {
    if (too_large_) throw HttpError(413, "request body too large");
    if (Pending() > 0) {
      size_t n = std::min(len, Pending());
      std::memcpy(buf, data_.data() + read_pos_, n);
      read_pos_ += n;
      if (Pending() < kHighWater / 2) room_.set();
      return n;
    }
    if (ended_) return 0;
    if (failed_) throw ClientGone("request aborted");
    WaitStatus st = readable_.wait_until(deadline);
    if (st == WaitStatus::kCancelled) throw ClientGone("request cancelled");
    if (st == WaitStatus::kTimeout && Pending() == 0 && !ended_) {
      throw HttpError(408, "timed out reading the request body");
    }
  }
}

}  // namespace spindle::server
