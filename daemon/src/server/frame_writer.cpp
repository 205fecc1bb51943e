// frame_writer.cpp: see frame_writer.hpp.
#include "server/frame_writer.hpp"

#include <spindle/fiber.hpp>
#include <spindle/io.hpp>

#include <spindle_protocol.h>

#include <sys/uio.h>

#include <algorithm>
#include <cstring>

namespace spindle::server {

char* FrameWriter::Grow(size_t n) {
  size_t old = buf_.size();
  buf_.resize(old + n);
  return buf_.data() + old;
}

void FrameWriter::PutHeader(uint8_t type, uint32_t length) {
  spindle_frame_header_encode(reinterpret_cast<uint8_t*>(Grow(SPINDLE_FRAME_HEADER_SIZE)),
                              type, length);
}

namespace {
constexpr std::string_view kConnection = "Connection", kClose = "close";
}  // namespace

size_t FrameWriter::HeadFrameSize(
    const std::vector<std::pair<std::string, std::string>>& headers, size_t n_headers) const {
  size_t size = SPINDLE_FRAME_HEADER_SIZE + SPINDLE_RESPONSE_HEAD_FIXED;
  for (size_t i = 0; i < n_headers; ++i) {
    size += SPINDLE_FIELD_SIZE(headers[i].first.size(), headers[i].second.size());
  }
  if (announce_close_) size += SPINDLE_FIELD_SIZE(kConnection.size(), kClose.size());
  return size;
}

void FrameWriter::AppendHead(
    int status, const std::vector<std::pair<std::string, std::string>>& headers,
    size_t n_headers) {
  const size_t frame = HeadFrameSize(headers, n_headers);
  auto* p = reinterpret_cast<uint8_t*>(Grow(frame));
  p = spindle_response_head_begin(p, static_cast<uint32_t>(frame - SPINDLE_FRAME_HEADER_SIZE),
                                  static_cast<uint16_t>(status),
                                  static_cast<uint16_t>(n_headers + (announce_close_ ? 1 : 0)));
  for (size_t i = 0; i < n_headers; ++i) {
    const auto& [name, value] = headers[i];
    p = spindle_put_field(p, name.data(), static_cast<uint32_t>(name.size()), value.data(),
                          static_cast<uint32_t>(value.size()));
  }
  if (announce_close_) {
    spindle_put_field(p, kConnection.data(), static_cast<uint32_t>(kConnection.size()),
                      kClose.data(), static_cast<uint32_t>(kClose.size()));
    close_announced_ = true;
  }
}

bool FrameWriter::AppendBody(std::string_view data) {
  if (broken_) return false;
  body_bytes_ += data.size();
  if (data.size() <= kCopyLimit) {
    if (data.empty()) return true;
    PutHeader(SPINDLE_FRAME_RESPONSE_BODY, static_cast<uint32_t>(data.size()));
    std::memcpy(Grow(data.size()), data.data(), data.size());
    return buf_.size() < kFlushAt || Flush();
  }
  // Large chunk: frame it in pieces of at most the protocol's body frame
  // limit and write each piece from the caller's memory.
  while (!data.empty()) {
    size_t n = std::min<size_t>(data.size(), SPINDLE_MAX_BODY_FRAME);
    PutHeader(SPINDLE_FRAME_RESPONSE_BODY, static_cast<uint32_t>(n));
    if (!WriteWithTail(data.substr(0, n))) return false;
    data.remove_prefix(n);
  }
  return true;
}

void FrameWriter::AppendEnd() { PutHeader(SPINDLE_FRAME_RESPONSE_END, 0); }

void FrameWriter::AppendAbort(std::string_view reason) {
  reason = reason.substr(0, SPINDLE_MAX_ABORT_SIZE);
  PutHeader(SPINDLE_FRAME_ABORT, static_cast<uint32_t>(reason.size()));
  if (!reason.empty()) std::memcpy(Grow(reason.size()), reason.data(), reason.size());
}

Deadline FrameWriter::WriteDeadline() const {
  return write_timeout_.count() > 0 ? Deadline::after(write_timeout_) : Deadline::never();
}

bool FrameWriter::Flush() {
  return WriteWithTail({});
}

bool FrameWriter::WriteWithTail(std::string_view tail) {
  if (broken_ || this_fiber::is_cancelled()) {
    broken_ = true;
    buf_.clear();
    return false;
  }
  iovec iov[2];
  int n = 0;
  if (!buf_.empty()) iov[n++] = {buf_.data(), buf_.size()};
  if (!tail.empty()) iov[n++] = {const_cast<char*>(tail.data()), tail.size()};
  if (n == 0) return true;
  IoResult r = writev_all(fd_, iov, n, WriteDeadline());
  buf_.clear();
  if (r.n > 0) wrote_any_ = true;
  if (r.err != 0) {
    broken_ = true;
    return false;
  }
  return true;
}

}  // namespace spindle::server
