// Channel<T>: FIFO order, capacity and back-pressure, close semantics
// (drain then kClosed), try_* results, deadlines and cancellation, move-only
// payloads.
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include <spindle/channel.hpp>
#include <spindle/fiber.hpp>

#include "fiber_test.hpp"

namespace spindle::test {
namespace {

using std::chrono::milliseconds;

FIBER_TEST(Channel, ProducerConsumerInOrder) {
  Channel<int> ch(3);
  Fiber producer = spawn([&] {
    for (int i = 0; i < 1000; ++i) ASSERT_EQ(ch.push(i), ChannelStatus::kSuccess);
    ch.close();
  });
  std::vector<int> got;
  int v;
  while (ch.pop(v) == ChannelStatus::kSuccess) got.push_back(v);
  producer.join();
  ASSERT_EQ(got.size(), 1000u);
  for (int i = 0; i < 1000; ++i) EXPECT_EQ(got[i], i);
}

FIBER_TEST(Channel, BackPressureBlocksPusherAtCapacity) {
  Channel<int> ch(2);
  int pushed = 0;
  Fiber p = spawn([&] {
    for (int i = 0; i < 5; ++i) {
      ASSERT_EQ(ch.push(i), ChannelStatus::kSuccess);
      ++pushed;
    }
  });
  this_fiber::yield();
  EXPECT_EQ(pushed, 2);
  EXPECT_EQ(ch.size(), 2u);
  int v;
  EXPECT_EQ(ch.pop(v), ChannelStatus::kSuccess);
  this_fiber::yield();
  EXPECT_EQ(pushed, 3);
  while (pushed < 5) ASSERT_EQ(ch.pop(v), ChannelStatus::kSuccess), this_fiber::yield();
  p.join();
}

FIBER_TEST(Channel, TryOpsReportFullEmptyClosed) {
  Channel<std::string> ch(1);
  std::string s;
  EXPECT_EQ(ch.try_pop(s), ChannelStatus::kEmpty);
  EXPECT_EQ(ch.try_push("a"), ChannelStatus::kSuccess);
  EXPECT_EQ(ch.try_push("b"), ChannelStatus::kFull);
  ch.close();
  EXPECT_TRUE(ch.is_closed());
  EXPECT_EQ(ch.try_push("c"), ChannelStatus::kClosed);
  EXPECT_EQ(ch.push("c"), ChannelStatus::kClosed);
  EXPECT_EQ(ch.try_pop(s), ChannelStatus::kSuccess);  // drains first
  EXPECT_EQ(s, "a");
  EXPECT_EQ(ch.try_pop(s), ChannelStatus::kClosed);
  EXPECT_EQ(ch.pop(s), ChannelStatus::kClosed);
  Channel<int> zero(0);
  EXPECT_EQ(zero.capacity(), 1u);
}

FIBER_TEST(Channel, CloseWakesBlockedPushersAndPoppers) {
  Channel<int> full(1);
  ASSERT_EQ(full.push(1), ChannelStatus::kSuccess);
  Channel<int> empty(1);
  Fiber pusher = spawn([&] { EXPECT_EQ(full.push(2), ChannelStatus::kClosed); });
  Fiber popper = spawn([&] {
    int v;
    EXPECT_EQ(empty.pop(v), ChannelStatus::kClosed);
  });
  this_fiber::yield();
  full.close();
  empty.close();
  pusher.join();
  popper.join();
  int v;
  EXPECT_EQ(full.pop(v), ChannelStatus::kSuccess);
  EXPECT_EQ(v, 1);
}

FIBER_TEST(Channel, DeadlinesAndCancellation) {
  Channel<int> ch(1);
  int v;
  EXPECT_EQ(ch.pop_until(v, Deadline::after(milliseconds(2))), ChannelStatus::kTimeout);
  ASSERT_EQ(ch.push(1), ChannelStatus::kSuccess);
  EXPECT_EQ(ch.push_until(2, Deadline::after(milliseconds(2))), ChannelStatus::kTimeout);
  EXPECT_EQ(ch.size(), 1u);
  Fiber blocked = spawn([&] { EXPECT_EQ(ch.push(3), ChannelStatus::kCancelled); });
  this_fiber::yield();
  blocked.cancel();
  blocked.join();
  EXPECT_EQ(ch.pop(v), ChannelStatus::kSuccess);
  EXPECT_EQ(v, 1);
  EXPECT_EQ(ch.try_pop(v), ChannelStatus::kEmpty);  // the cancelled push left nothing
}

FIBER_TEST(Channel, MoveOnlyValues) {
  Channel<std::unique_ptr<int>> ch(2);
  ASSERT_EQ(ch.push(std::make_unique<int>(7)), ChannelStatus::kSuccess);
  std::unique_ptr<int> out;
  ASSERT_EQ(ch.pop(out), ChannelStatus::kSuccess);
  ASSERT_TRUE(out);
  EXPECT_EQ(*out, 7);
}

FIBER_TEST(Channel, ManyProducersManyConsumers) {
  Channel<int> ch(4);
  constexpr int kProducers = 4, kPerProducer = 500;
  long sum = 0;
  int count = 0;
  std::vector<Fiber> producers, consumers;
  for (int p = 0; p < kProducers; ++p) {
    producers.push_back(spawn([&, p] {
      for (int i = 0; i < kPerProducer; ++i) ASSERT_EQ(ch.push(p * kPerProducer + i), ChannelStatus::kSuccess);
    }));
  }
  for (int c = 0; c < 3; ++c) {
    consumers.push_back(spawn([&] {
      int v;
      while (ch.pop(v) == ChannelStatus::kSuccess) {
        sum += v;
        ++count;
      }
    }));
  }
  for (Fiber& f : producers) f.join();
  ch.close();
  for (Fiber& f : consumers) f.join();
  const int n = kProducers * kPerProducer;
  EXPECT_EQ(count, n);
  EXPECT_EQ(sum, static_cast<long>(n) * (n - 1) / 2);
}

}  // namespace
}  // namespace spindle::test
