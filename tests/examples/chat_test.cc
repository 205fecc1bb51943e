// Chat end to end: HTTP client -> nginx (ngx_http_spindle_module) ->
// spindled (two workers) -> examples/chat -> a real redis-server (Pub/Sub).
// A long poll that is already parked gets a message posted afterwards;
// `since` returns the backlog at once; a poll times out with []; 200
// concurrent pollers all get one published message; a client that goes
// away releases its subscription; bad input and Redis down are answered.
//
// "Parked" is observed, not guessed: the app logs (debug) "chat: poll
// waiting in room 'R'" after its subscription is confirmed by Redis and the
// backlog was empty, so a message posted after that line reaches it.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <future>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "examples_stack.hpp"

namespace spindle::test {
namespace {

using namespace std::chrono_literals;

class Chat : public ::testing::Test {
 protected:
  void SetUp() override { stack_ = std::make_unique<ExamplesStack>(); }
  void TearDown() override { stack_.reset(); }
  uint16_t port() const { return stack_->port(); }
  DaemonHarness& daemon() { return *stack_->daemon; }

  nlohmann::json Post(const std::string& room, const std::string& user, const std::string& text) {
    auto r = PostJson(port(), "/chat/rooms/" + room + "/messages",
                      nlohmann::json{{"user", user}, {"text", text}}.dump());
    EXPECT_EQ(r.status, 201) << r.body;
    return nlohmann::json::parse(r.body, nullptr, false);
  }
  std::unique_ptr<ExamplesStack> stack_;
};

nlohmann::json ParseList(const HttpResponse& r) {
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.Header("Content-Type"), "application/json");
  nlohmann::json j = nlohmann::json::parse(r.body, nullptr, false);
  EXPECT_TRUE(j.is_array()) << r.body;
  return j;
}

TEST_F(Chat, ParkedLongPollReceivesALaterMessage) {
  auto poll = std::async(std::launch::async, [this] {
    return HttpGet(port(), "/chat/rooms/lobby/messages?since=0");
  });
  ASSERT_TRUE(daemon().WaitForLog(Waiting("lobby"), 15s)) << daemon().Log();
  nlohmann::json sent = Post("lobby", "ann", "hello <world> & \"all\"");
  EXPECT_EQ(sent["id"], 1);
  ASSERT_EQ(poll.wait_for(15s), std::future_status::ready);
  nlohmann::json got = ParseList(poll.get());
  ASSERT_EQ(got.size(), 1u) << got;
  EXPECT_EQ(got[0]["id"], 1);
  EXPECT_EQ(got[0]["user"], "ann");
  EXPECT_EQ(got[0]["text"], "hello <world> & \"all\"");
  EXPECT_EQ(got[0], sent);
}

TEST_F(Chat, SinceReturnsTheBacklogAtOnce) {
  for (int i = 1; i <= 3; ++i) EXPECT_EQ(Post("backlog", "bob", "m" + std::to_string(i))["id"], i);
  nlohmann::json all = ParseList(HttpGet(port(), "/chat/rooms/backlog/messages"));
  ASSERT_EQ(all.size(), 3u);
  nlohmann::json newer = ParseList(HttpGet(port(), "/chat/rooms/backlog/messages?since=1"));
  ASSERT_EQ(newer.size(), 2u) << newer;
  EXPECT_EQ(newer[0]["id"], 2);
  EXPECT_EQ(newer[0]["text"], "m2");
  EXPECT_EQ(newer[1]["id"], 3);
  // Answered from the backlog: no poll ever parked in that room.
  EXPECT_EQ(daemon().CountLog(Waiting("backlog")), 0u);
  // Rooms are separate.
  EXPECT_EQ(Post("other", "bob", "x")["id"], 1);
}

TEST_F(Chat, TimeoutReturnsAnEmptyList) {
  Post("quiet", "cy", "old");
  // /chatshort polls for 300 ms; nothing newer than id 1 arrives.
  auto r = HttpGet(port(), "/chatshort/rooms/quiet/messages?since=1");
  EXPECT_EQ(ParseList(r), nlohmann::json::array());
  EXPECT_EQ(r.body, "[]");
  EXPECT_EQ(r.Header("Cache-Control"), "no-store");
  EXPECT_EQ(daemon().CountLog(Waiting("quiet")), 1u);
}

TEST_F(Chat, TwoHundredPollersAllReceiveOneMessage) {
  constexpr int kPollers = 200;
  std::vector<std::future<HttpResponse>> polls;
  for (int i = 0; i < kPollers; ++i) {
    polls.push_back(std::async(std::launch::async, [this] {
      HttpClient c(port(), "127.0.0.1", 40s);
      HttpRequest req;
      req.target = "/chat/rooms/crowd/messages?since=0";
      req.keep_alive = false;
      return c.Send(req);
    }));
  }
  ASSERT_TRUE(daemon().WaitForLog(Waiting("crowd"), 30s, kPollers))
      << daemon().CountLog(Waiting("crowd")) << " of " << kPollers << " parked";
  nlohmann::json sent = Post("crowd", "dee", "to everyone");
  int received = 0;
  for (auto& p : polls) {
    ASSERT_EQ(p.wait_for(30s), std::future_status::ready);
    nlohmann::json got = ParseList(p.get());
    if (got.size() == 1 && got[0] == sent) ++received;
  }
  EXPECT_EQ(received, kPollers);
}

TEST_F(Chat, ClientGoneReleasesTheSubscription) {
  const std::string numsub = "PUBSUB NUMSUB chat:gone:channel";
  HttpClient c(port());
  HttpRequest req;
  req.target = "/chat/rooms/gone/messages";
  c.SendRequest(req);
  ASSERT_TRUE(daemon().WaitForLog(Waiting("gone"), 15s)) << daemon().Log();
  EXPECT_EQ(RedisInteger(*stack_->redis, numsub, 1), 1);
  c.Close();  // nginx aborts the request; spindled cancels the parked fiber
  long long subscribers = 1;
  for (auto deadline = std::chrono::steady_clock::now() + 10s;
       subscribers != 0 && std::chrono::steady_clock::now() < deadline;
       std::this_thread::sleep_for(20ms)) {
    subscribers = RedisInteger(*stack_->redis, numsub, 1);
  }
  EXPECT_EQ(subscribers, 0) << "the cancelled poll kept its subscription";
  // The app goes on: a new poll still works.
  Post("gone", "eve", "still here");
  EXPECT_EQ(ParseList(HttpGet(port(), "/chat/rooms/gone/messages")).size(), 1u);
}

TEST_F(Chat, BadInput) {
  EXPECT_EQ(PostJson(port(), "/chat/rooms/r/messages", "not json").status, 400);
  EXPECT_EQ(PostJson(port(), "/chat/rooms/r/messages", R"({"user":"a"})").status, 400);
  EXPECT_EQ(PostJson(port(), "/chat/rooms/r/messages", R"({"user":"","text":"x"})").status, 400);
  EXPECT_EQ(PostJson(port(), "/chat/rooms/r/messages", R"({"user":1,"text":"x"})").status, 400);
  EXPECT_EQ(PostJson(port(), "/chat/rooms/r/messages",
                     nlohmann::json{{"user", "a"}, {"text", std::string(2001, 'x')}}.dump())
                .status,
            400);
  EXPECT_EQ(PostJson(port(), "/chat/rooms/r/messages", "{\"user\":\"a\",\"text\":\"\xff\"}").status,
            400);
  EXPECT_EQ(PostJson(port(), "/chat/rooms/bad.room/messages", R"({"user":"a","text":"x"})").status,
            404);
  EXPECT_EQ(HttpGet(port(), "/chat/rooms/bad%20room/messages").status, 404);
  EXPECT_EQ(ParseList(HttpGet(port(), "/chatshort/rooms/r/messages")).size(), 0u);
}

TEST_F(Chat, PageLongPollsItsRoom) {
  auto r = HttpGet(port(), "/chat/?room=kitchen");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.Header("Content-Type"), "text/html; charset=utf-8");
  EXPECT_NE(r.body.find("const base = \"/chat/rooms/kitchen/messages\";"), std::string::npos)
      << r.body;
  EXPECT_NE(r.body.find("?since="), std::string::npos);
  auto bare = HttpGet(port(), "/chat");
  EXPECT_EQ(bare.status, 301);
  EXPECT_EQ(bare.Header("Location"), "/chat/");
}

TEST_F(Chat, RedisDownIs503ThenRecovers) {
  stack_->redis->Stop();
  auto post = PostJson(port(), "/chat/rooms/r/messages", R"({"user":"a","text":"x"})");
  EXPECT_EQ(post.status, 503) << post.body;
  EXPECT_EQ(HttpGet(port(), "/chat/rooms/r/messages").status, 503);
  EXPECT_TRUE(daemon().running());
  stack_->redis->Start();
  int status = 0;
  for (auto deadline = std::chrono::steady_clock::now() + 10s;
       status != 201 && std::chrono::steady_clock::now() < deadline;
       std::this_thread::sleep_for(50ms)) {
    status = PostJson(port(), "/chat/rooms/r/messages", R"({"user":"a","text":"back"})").status;
  }
  EXPECT_EQ(status, 201);
}

}  // namespace
}  // namespace spindle::test
