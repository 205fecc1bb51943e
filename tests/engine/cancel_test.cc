// Cancellation: the current wait and every later wait end with kCancelled,
// RAII cleanup runs, and the calls documented as not cancellable (join,
// Mutex::lock, offload, yield) are not interrupted; a Cancelled (ClientGone is
// one) ending a cancelled fiber is not logged as a failure.
#include <atomic>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <spindle/channel.hpp>
#include <spindle/errors.hpp>
#include <spindle/fiber.hpp>
#include <spindle/offload.hpp>
#include <spindle/sync.hpp>

#include "fiber_test.hpp"

namespace spindle::test {
namespace {

using std::chrono::hours;

FIBER_TEST(Cancel, CurrentAndFutureWaitsEndCancelled) {
  std::vector<WaitStatus> seen;
  Fiber f = spawn([&] {
    seen.push_back(this_fiber::sleep_for(hours(1)));  // current wait
    EXPECT_TRUE(this_fiber::is_cancelled());
    Event e;
    seen.push_back(e.wait());                          // future waits
    seen.push_back(this_fiber::sleep_for(hours(1)));
    Channel<int> ch(1);
    int v;
    seen.push_back(ch.pop(v) == ChannelStatus::kCancelled ? WaitStatus::kCancelled : WaitStatus::kOk);
    WaitGroup wg;
    wg.add();
    seen.push_back(wg.wait());
  });
  this_fiber::yield();
  f.cancel();
  f.cancel();  // idempotent
  f.join();
  EXPECT_EQ(seen, std::vector<WaitStatus>(5, WaitStatus::kCancelled));
}

FIBER_TEST(Cancel, RaiiRunsAndFiberEndsNormally) {
  bool cleaned = false;
  struct Cleanup {
    bool* flag;
    ~Cleanup() { *flag = true; }
  };
  Fiber f = spawn([&] {
    Cleanup c{&cleaned};
    while (this_fiber::sleep_for(hours(1)) != WaitStatus::kCancelled) {
    }
  });
  this_fiber::yield();
  EXPECT_FALSE(cleaned);
  f.cancel();
  f.join();
  EXPECT_TRUE(cleaned);
}

FIBER_TEST(Cancel, BeforeFirstRunAndAfterEnd) {
  WaitStatus st = WaitStatus::kOk;
  Fiber f = spawn([&] { st = this_fiber::sleep_for(hours(1)); });
  f.cancel();  // not started yet
  f.join();
  EXPECT_EQ(st, WaitStatus::kCancelled);
  Fiber g = spawn([] {});
  this_fiber::yield();
  EXPECT_TRUE(g.done());
  g.cancel();  // no-op
  g.join();
}

FIBER_TEST(Cancel, JoinIsNotInterruptedButJoinUntilIs) {
  Event release;
  Fiber target = spawn([&] { (void)release.wait_until(Deadline::never()); });
  bool joined = false;
  Fiber joiner = spawn([&] {
    target.join();
    joined = true;
  });
  this_fiber::yield();
  joiner.cancel();
  this_fiber::yield();
  EXPECT_FALSE(joined);  // still waiting for target
  release.set();
  joiner.join();
  EXPECT_TRUE(joined);

  Event never;
  Fiber stuck = spawn([&] { (void)never.wait(); });
  Fiber bounded = spawn([&] { EXPECT_EQ(stuck.join_until(Deadline::never()), WaitStatus::kCancelled); });
  this_fiber::yield();
  bounded.cancel();
  bounded.join();
  EXPECT_TRUE(stuck.joinable());
  stuck.cancel();
  stuck.join();
}

FIBER_TEST(Cancel, OffloadFinishesDespiteCancel) {
  std::atomic<bool> started{false}, release{false};
  int result = 0;
  Fiber f = spawn([&] {
    result = offload([&] {
      started = true;
      while (!release) std::this_thread::yield();
      return 42;
    });
  });
  // Cancel while fn runs on the pool; the fiber must keep waiting for it.
  while (!started) (void)this_fiber::sleep_for(std::chrono::microseconds(50));
  f.cancel();
  (void)this_fiber::sleep_for(std::chrono::milliseconds(1));
  EXPECT_FALSE(f.done());
  release = true;
  f.join();
  EXPECT_EQ(result, 42);
}

FIBER_TEST(Cancel, YieldKeepsRunning) {
  int loops = 0;
  Fiber f = spawn([&] {
    while (!this_fiber::is_cancelled()) {
      this_fiber::yield();
      ++loops;
    }
  });
  this_fiber::yield();
  this_fiber::yield();
  f.cancel();
  f.join();
  EXPECT_GE(loops, 1);
}

// Captures what the default spdlog logger writes while it lives.
class LogCapture {
 public:
  LogCapture() : saved_(spdlog::default_logger()) {
    auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(out_);
    spdlog::set_default_logger(std::make_shared<spdlog::logger>("capture", sink));
  }
  ~LogCapture() { spdlog::set_default_logger(saved_); }
  std::string text() const { return out_.str(); }

 private:
  std::shared_ptr<spdlog::logger> saved_;
  std::ostringstream out_;
};

FIBER_TEST(Cancel, CancelledEndingACancelledFiberIsNotLoggedAsAFailure) {
  LogCapture log;
  Fiber quitter = spawn([] {
    if (this_fiber::sleep_for(hours(1)) == WaitStatus::kCancelled) throw Cancelled();
  }, "quitter");
  Fiber gone = spawn([] {
    if (this_fiber::sleep_for(hours(1)) == WaitStatus::kCancelled) {
      throw ClientGone("connection to nginx broke");
    }
  }, "gone");
  Fiber liar = spawn([] { throw Cancelled(); }, "liar");  // nobody cancelled it
  this_fiber::yield();
  quitter.cancel();
  gone.cancel();
  quitter.join();
  gone.join();
  liar.join();
  EXPECT_EQ(log.text().find("'quitter'"), std::string::npos) << log.text();
  EXPECT_EQ(log.text().find("'gone'"), std::string::npos) << log.text();
  EXPECT_NE(log.text().find("fiber 'liar' ended by an exception: fiber cancelled"),
            std::string::npos) << log.text();
}

TEST(Cancel, ClientGoneIsACancelled) {
  try {
    throw ClientGone("request aborted");
  } catch (const Cancelled& e) {
    EXPECT_STREQ(e.what(), "request aborted");
  }
  ClientGone copy(ClientGone("copied"));
  EXPECT_STREQ(copy.what(), "copied");
}

}  // namespace
}  // namespace spindle::test
