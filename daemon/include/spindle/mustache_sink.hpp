// mustache_sink.hpp: ChunkedSink, the streaming sink for big renders. It
// buffers output up to `chunk_size` bytes (default 8 KiB), hands each full
// chunk to an emit callback, then calls this_fiber::yield() so one big page
// never stalls the other fibers of the worker: between two chunks every
// other ready fiber runs once.
//
// Thread/fiber contract: use on one fiber. write() may suspend (the yield,
// and whatever `emit` does, e.g. a socket write); outside a fiber the yield
// is a no-op. Exceptions from `emit` propagate out of write()/flush().
// Destroying the sink drops unflushed bytes: call flush() after a render
// that succeeded, so a failed render never emits a truncated tail.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

#include <spindle/mustache.hpp>

namespace spindle {

class ChunkedSink final : public Sink {
 public:
  using Emit = std::function<void(std::string_view chunk)>;
  static constexpr size_t kDefaultChunkSize = 8 * 1024;

  explicit ChunkedSink(Emit emit, size_t chunk_size = kDefaultChunkSize,
                       bool yield_between_chunks = true);

  // May suspend. Emits (and yields after) each chunk as it fills.
  void write(std::string_view bytes) override;
  // May suspend. Emits what is buffered as a last, short chunk (no yield).
  void flush();

  size_t chunk_size() const noexcept { return chunk_size_; }
  size_t chunks_emitted() const noexcept { return chunks_; }
  size_t bytes_emitted() const noexcept { return bytes_; }

 private:
  void EmitChunk(std::string_view chunk, bool yield);

  Emit emit_;
  size_t chunk_size_;
  bool yield_;
  std::string buf_;
  size_t chunks_ = 0;
  size_t bytes_ = 0;
};

}  // namespace spindle
