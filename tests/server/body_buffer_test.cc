// BodyBuffer: the hand-over of a request body from the reader fiber to the
// handler fiber keeps its memory bounded whatever the handler's reading
// speed (a slow reader must not make the daemon hold the whole upload), and
// delivers every byte in order.
#include "server/body_buffer.hpp"

#include "fiber_test.hpp"

#include <spindle/fiber.hpp>

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

namespace spindle::test {
namespace {

using namespace spindle::server;

// 100 MiB in 64 KiB frames (what nginx sends), read in 10 KiB pieces with a
// yield after each: slower than the producer, which must park.
FIBER_TEST(BodyBuffer, SlowReaderKeepsMemoryBounded) {
  constexpr size_t kFrame = 64 * 1024, kTotal = 100u << 20;
  BodyBuffer body;
  body.Reset(kTotal);
  size_t max_capacity = 0;
  uint64_t sum_in = 0, sum_out = 0;
  Fiber producer = spawn([&] {
    std::vector<uint8_t> frame(kFrame);
    for (size_t off = 0; off < kTotal; off += kFrame) {
      for (size_t i = 0; i < kFrame; ++i) frame[i] = static_cast<uint8_t>((off + i) * 7);
      for (uint8_t b : frame) sum_in += b;
      ASSERT_EQ(body.Push(frame.data(), frame.size()), WaitStatus::kOk);
      max_capacity = std::max(max_capacity, body.capacity());
    }
    body.End();
  });
  std::vector<uint8_t> piece(10 * 1024);
  size_t got = 0;
  for (;;) {
    size_t n = body.ReadSome(piece.data(), piece.size(), Deadline::never());
    if (n == 0) break;
    for (size_t i = 0; i < n; ++i) {
      ASSERT_EQ(piece[i], static_cast<uint8_t>((got + i) * 7)) << "byte " << got + i;
      sum_out += piece[i];
    }
    got += n;
    max_capacity = std::max(max_capacity, body.capacity());
    this_fiber::yield();
  }
  producer.join();
  EXPECT_EQ(got, kTotal);
  EXPECT_EQ(sum_in, sum_out);
  // kHighWater (256 KiB) of unread data, as much consumed, one frame.
  EXPECT_LE(max_capacity, 2 * BodyBuffer::kHighWater + 2 * kFrame) << max_capacity;
}

}  // namespace
}  // namespace spindle::test
