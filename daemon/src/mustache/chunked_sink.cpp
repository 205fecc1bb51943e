// chunked_sink.cpp: ChunkedSink (mustache_sink.hpp).
//
// Thread/fiber contract: one fiber; suspends in emit and in the yield.
#include <spindle/mustache_sink.hpp>

#include <algorithm>
#include <stdexcept>

#include <spindle/fiber.hpp>

namespace spindle {

ChunkedSink::ChunkedSink(Emit emit, size_t chunk_size, bool yield_between_chunks)
    : emit_(std::move(emit)), chunk_size_(chunk_size), yield_(yield_between_chunks) {
  if (chunk_size_ == 0) throw std::invalid_argument("ChunkedSink: chunk_size must be > 0");
  buf_.reserve(chunk_size_);
}

void ChunkedSink::EmitChunk(std::string_view chunk, bool yield) {
  emit_(chunk);
  ++chunks_;
  bytes_ += chunk.size();
  if (yield && yield_) this_fiber::yield();
}

void ChunkedSink::write(std::string_view bytes) {
  if (bytes.size() < chunk_size_ - buf_.size()) {  // fast path: fits, not full
    buf_.append(bytes.data(), bytes.size());
    return;
  }
  while (!bytes.empty()) {
    if (buf_.empty() && bytes.size() >= chunk_size_) {
      // A big value: emit straight from the caller's bytes, no copy.
      EmitChunk(bytes.substr(0, chunk_size_), true);
      bytes.remove_prefix(chunk_size_);
      continue;
    }
    size_t n = std::min(bytes.size(), chunk_size_ - buf_.size());
    buf_.append(bytes.data(), n);
    bytes.remove_prefix(n);
    if (buf_.size() == chunk_size_) {
      EmitChunk(buf_, true);
      buf_.clear();
    }
  }
}

void ChunkedSink::flush() {
  if (buf_.empty()) return;
  EmitChunk(buf_, false);
  buf_.clear();
}

}  // namespace spindle
