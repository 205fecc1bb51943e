// Two spindled behind one nginx upstream (keepalive), over loopback TCP,
// sharing one redis-server, serving examples/chat: a message posted through
// one daemon reaches an event stream and a parked long poll held by the
// other (both directions), and messages posted round robin through the
// shared upstream reach streams on both daemons, in order, over few
// upstream connections. /via/I/ pins a request to daemon I (ExamplesStack).
//
// Waits are bounded; a stream counts as subscribed once Redis reports a
// subscriber on the room's channel (the chat subscribes before it sends
// the stream's head), a poll once the daemon logged it parked.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <future>
#include <memory>
#include <string>
#include <thread>

#include "examples_stack.hpp"

namespace spindle::test {
namespace {

using namespace std::chrono_literals;

class TwoDaemons : public ::testing::Test {
 protected:
  void SetUp() override {
    stack_ = std::make_unique<ExamplesStack>(ExamplesStackOptions{.daemons = 2, .tcp = true});
  }
  void TearDown() override { stack_.reset(); }
  uint16_t port() const { return stack_->port(); }
  DaemonHarness& daemon(int i) { return *stack_->daemons[i]; }
  static std::string Via(int i) { return "/via/" + std::to_string(i); }

  nlohmann::json Post(const std::string& prefix, const std::string& room, const std::string& text) {
    auto r = PostJson(port(), prefix + "/chat/rooms/" + room + "/messages",
                      nlohmann::json{{"user", "u"}, {"text", text}}.dump());
    EXPECT_EQ(r.status, 201) << r.body;
    return nlohmann::json::parse(r.body, nullptr, false);
  }

  // Waits until Redis has at least `n` subscriber connections on the room.
  bool Subscribed(const std::string& room, long long n) {
    for (auto until = std::chrono::steady_clock::now() + 15s;
         std::chrono::steady_clock::now() < until; std::this_thread::sleep_for(20ms)) {
      if (RedisInteger(*stack_->redis, "PUBSUB NUMSUB chat:" + room + ":channel", 1) >= n) {
        return true;
      }
    }
    return false;
  }

  // A stream and a long poll held by daemon `to`, a message posted through
  // daemon `from`: both get it, from Redis Pub/Sub (the room was empty
  // when they started waiting).
  void ExpectDelivered(int from, int to, const std::string& room) {
    auto events = Listen(port(), Via(to) + "/chat/rooms/" + room + "/events",
                         [](const std::string& b) { return Count(b, "event: message\n") >= 1; });
    ASSERT_TRUE(Subscribed(room, 1)) << daemon(to).Log();
    auto poll = std::async(std::launch::async, [this, to, room] {
      return HttpGet(port(), Via(to) + "/chat/rooms/" + room + "/messages?since=0");
    });
    ASSERT_TRUE(daemon(to).WaitForLog(Waiting(room), 15s)) << daemon(to).Log();
    nlohmann::json sent = Post(Via(from), room, "from daemon " + std::to_string(from));
    ASSERT_EQ(sent["id"], 1);

    ASSERT_EQ(events.wait_for(15s), std::future_status::ready);
    std::string body = events.get();
    EXPECT_NE(body.find("id: 1\nevent: message\ndata: " + sent.dump() + "\n\n"), std::string::npos)
        << body;
    ASSERT_EQ(poll.wait_for(15s), std::future_status::ready);
    HttpResponse got = poll.get();
    ASSERT_EQ(got.status, 200) << got.body;
    EXPECT_EQ(nlohmann::json::parse(got.body, nullptr, false), nlohmann::json::array({sent}));
    // The pinning held: the poll parked at `to` only.
    EXPECT_EQ(daemon(from).CountLog(Waiting(room)), 0u);
  }

  std::unique_ptr<ExamplesStack> stack_;
};

TEST_F(TwoDaemons, AMessagePostedAtOneDaemonReachesStreamsAndPollsAtTheOther) {
  ExpectDelivered(0, 1, "zero-to-one");
  ExpectDelivered(1, 0, "one-to-zero");
}

TEST_F(TwoDaemons, MessagesRoundRobinThroughTheSharedUpstreamReachStreamsOnBoth) {
  constexpr int kPosts = 10;
  auto all_in = [](const std::string& b) { return Count(b, "event: message\n") >= kPosts; };
  auto at0 = Listen(port(), Via(0) + "/chat/rooms/shared/events", all_in);
  auto at1 = Listen(port(), Via(1) + "/chat/rooms/shared/events", all_in);
  ASSERT_TRUE(Subscribed("shared", 2));  // one subscriber connection per daemon
  const size_t accepted0 = daemon(0).CountLog("worker accepted connection");
  const size_t accepted1 = daemon(1).CountLog("worker accepted connection");
  for (int i = 1; i <= kPosts; ++i) {
    ASSERT_EQ(Post("", "shared", "m" + std::to_string(i))["id"], i);
  }
  for (auto* f : {&at0, &at1}) {
    ASSERT_EQ(f->wait_for(15s), std::future_status::ready);
    std::string body = f->get();
    size_t last = 0;
    for (int i = 1; i <= kPosts; ++i) {  // every message once, in order
      size_t p = body.find("id: " + std::to_string(i) + "\nevent: message\n");
      ASSERT_NE(p, std::string::npos) << i << "\n" << body;
      EXPECT_GE(p, last) << i;
      last = p;
    }
    EXPECT_EQ(Count(body, "event: message\n"), static_cast<size_t>(kPosts));
  }
  // Both daemons took posts (round robin), each over few kept connections.
  const size_t more0 = daemon(0).CountLog("worker accepted connection") - accepted0;
  const size_t more1 = daemon(1).CountLog("worker accepted connection") - accepted1;
  EXPECT_GE(more0, 1u);
  EXPECT_GE(more1, 1u);
  EXPECT_LE(more0 + more1, 4u) << "posts should reuse nginx's kept upstream connections";
  const std::string post = "method=POST path=\"/chat/rooms/shared/messages\" status=201";
  EXPECT_TRUE(daemon(0).WaitForLog(post, 5s)) << daemon(0).Log();
  EXPECT_TRUE(daemon(1).WaitForLog(post, 5s)) << daemon(1).Log();
}

}  // namespace
}  // namespace spindle::test
