// Races, each looped many times. Every test names the bad interleaving it
// guards against; deadlines are tiny so that both outcomes of each race occur
// on a real machine, and the invariants hold for either outcome.
#include <atomic>
#include <thread>
#include <unistd.h>
#include <sys/socket.h>

#include <gtest/gtest.h>

#include <spindle/channel.hpp>
#include <spindle/fiber.hpp>
#include <spindle/io.hpp>
#include <spindle/offload.hpp>
#include <spindle/scheduler.hpp>
#include <spindle/sync.hpp>

#include "fiber_test.hpp"

namespace spindle::test {
namespace {

using std::chrono::microseconds;
using std::chrono::seconds;

// Bad interleaving: the owner's unlock() hands the mutex to a waiter whose
// lock_until deadline fires in the same poll. If the timer won after the
// hand-off (or the hand-off went to a timed-out waiter), the mutex would stay
// locked with no owner, or be owned twice.
FIBER_TEST(Race, MutexHandOffVersusLockTimeout) {
  Mutex m;
  int owned_by_waiter = 0, timed_out = 0;
  for (int i = 0; i < 2000; ++i) {
    m.lock();
    // The owner unlocks before, at, or after the waiter's deadline.
    const Clock::time_point start = Clock::now();
    const Deadline d = Deadline::at(start + microseconds(20));
    bool waiter_owns = false;
    Fiber waiter = spawn([&] {
      if (m.lock_until(d) == WaitStatus::kOk) {
        waiter_owns = true;
        ++owned_by_waiter;
        m.unlock();
      } else {
        ++timed_out;
      }
    });
    this_fiber::yield();                   // waiter parks
    (void)this_fiber::sleep_until(start + microseconds(i % 40));
    m.unlock();
    waiter.join();
    ASSERT_TRUE(m.try_lock()) << "mutex leaked at iteration " << i << " waiter_owns=" << waiter_owns;
    m.unlock();
  }
  EXPECT_EQ(owned_by_waiter + timed_out, 2000);
}

// Bad interleaving: push() hands a value to a popper that has just been
// cancelled (cancel and notify in the same slice, either order). The value
// must end up either popped by it or still in the channel, never lost.
FIBER_TEST(Race, ChannelPushVersusCancelledPopper) {
  Channel<int> ch(1);
  int popped = 0, left = 0;
  for (int i = 0; i < 2000; ++i) {
    int got = -1;
    Fiber popper = spawn([&] {
      if (ch.pop(got) == ChannelStatus::kSuccess) ++popped;
    });
    this_fiber::yield();
    if (i % 2) {
      ASSERT_EQ(ch.push(i), ChannelStatus::kSuccess);
      popper.cancel();
    } else {
      popper.cancel();
      ASSERT_EQ(ch.push(i), ChannelStatus::kSuccess);
    }
    popper.join();
    int v;
    if (ch.try_pop(v) == ChannelStatus::kSuccess) {
      ++left;
      EXPECT_EQ(v, i);
      EXPECT_EQ(got, -1);
    } else {
      EXPECT_EQ(got, i);
    }
  }
  EXPECT_EQ(popped + left, 2000);
  EXPECT_GT(popped, 0);  // notify-first: the waker wins
  EXPECT_GT(left, 0);    // cancel-first: the value stays
}

// Bad interleaving: a timed push and a pop at the deadline. A push that
// reports kTimeout must not have enqueued; one that reports kSuccess must
// arrive exactly once.
FIBER_TEST(Race, ChannelTimedPushVersusPop) {
  Channel<int> ch(1);
  long pushed = 0, received = 0;
  Fiber consumer = spawn([&] {
    int v;
    while (ch.pop(v) == ChannelStatus::kSuccess) received += v;
  });
  for (int i = 1; i <= 3000; ++i) {
    if (ch.push_until(i, Deadline::after(microseconds(i % 7))) == ChannelStatus::kSuccess) pushed += i;
    if (i % 3 == 0) this_fiber::yield();
  }
  ch.close();
  consumer.join();
  EXPECT_EQ(pushed, received);
}

// Bad interleaving: an offload job finishes on a pool thread exactly while
// the scheduler decides to block in epoll_wait. Without the locked remote
// queue + eventfd the wakeup is lost and the fiber hangs (the fixture would
// abort after its limit).
FIBER_TEST(Race, OffloadCompletionVersusIdleScheduler) {
  long sum = 0;
  for (int i = 0; i < 3000; ++i) sum += offload([i] { return i; });
  EXPECT_EQ(sum, 3000L * 2999 / 2);
}

// Bad interleaving: data arrives on a socket (written by another thread)
// just as the reader's deadline fires. A read that timed out must leave the
// data readable; no byte is lost or read twice.
FIBER_TEST(Race, FdReadinessVersusDeadline) {
  int fds[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds), 0);
  std::atomic<int> sent{0};
  constexpr int kBytes = 1500;
  std::thread writer([&] {
    for (int i = 0; i < kBytes; ++i) {
      while (::write(fds[1], "x", 1) != 1) std::this_thread::yield();
      sent.fetch_add(1);
      if (i % 4 == 0) std::this_thread::sleep_for(microseconds(20));
    }
  });
  int received = 0, timeouts = 0;
  while (received < kBytes) {
    char buf[64];
    const IoResult r = read_some(fds[0], buf, sizeof buf, Deadline::after(microseconds(30)));
    if (r.n > 0) received += static_cast<int>(r.n);
    else if (r.err == ETIMEDOUT) ++timeouts;
    else FAIL() << "read error " << r.err;
  }
  writer.join();
  EXPECT_EQ(received, kBytes);
  forget_fd(fds[0]);
  ::close(fds[0]);
  ::close(fds[1]);
}

// Bad interleaving: stop() from another thread lands while the scheduler is
// between "run queue empty" and epoll_wait. Without the eventfd, run() would
// sleep forever.
TEST(Race, StopFromAnotherThreadVersusBlockingPoll) {
  for (int i = 0; i < 200; ++i) {
    Scheduler s;
    std::atomic<bool> parked{false};
    std::thread stopper;
    s.run([&] {
      spawn([&] {
        parked = true;
        (void)this_fiber::sleep_for(seconds(60));
      }).detach();
      stopper = std::thread([&] {
        while (!parked.load()) std::this_thread::yield();
        if (i % 2) std::this_thread::sleep_for(microseconds(i));
        s.stop();
      });
    });
    stopper.join();
  }
}

// Bad interleaving: the joined fiber ends in the same slice in which it is
// cancelled, joined and its handle dropped; the record must be recycled only
// once both the scheduler and the handle have let go (ASan catches misuse).
FIBER_TEST(Race, JoinCancelDetachVersusFiberEnd) {
  for (int i = 0; i < 3000; ++i) {
    Fiber f = spawn([i] {
      if (i % 3 == 0) this_fiber::yield();
      if (i % 3 == 1) (void)this_fiber::sleep_for(microseconds(1));
    });
    if (i % 2) f.cancel();
    if (i % 4 < 2) f.join();
    else f.detach();
  }
  while (Scheduler::current()->fibers_alive() > 1) this_fiber::yield();
}

}  // namespace
}  // namespace spindle::test
