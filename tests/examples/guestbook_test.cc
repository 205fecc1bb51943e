// Guestbook end to end: HTTP client -> nginx (ngx_http_spindle_module) ->
// spindled (two workers) -> examples/guestbook -> a real redis-server.
// Post -> 303 -> the page shows the entry HTML-escaped and the JSON lists
// it; bad forms are refused; the page counter counts; only the latest 50
// entries are kept; Redis stopped gives a 503 page (no crash) and the app
// recovers once Redis is back.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include "examples_stack.hpp"

namespace spindle::test {
namespace {

using namespace std::chrono_literals;

class Guestbook : public ::testing::Test {
 protected:
  void SetUp() override { stack_ = std::make_unique<ExamplesStack>(); }
  void TearDown() override { stack_.reset(); }
  uint16_t port() const { return stack_->port(); }
  nlohmann::json Entries() {
    auto r = HttpGet(port(), "/guestbook/entries.json");
    EXPECT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.Header("Content-Type"), "application/json");
    return nlohmann::json::parse(r.body);
  }
  std::unique_ptr<ExamplesStack> stack_;
};

// The N of "viewed N times" (std::regex warns under gcc -O1), -1 if absent.
long long Views(const std::string& page) {
  for (size_t at = page.find("viewed "); at != std::string::npos;
       at = page.find("viewed ", at + 1)) {
    size_t i = at + 7, start = i;
    while (i < page.size() && page[i] >= '0' && page[i] <= '9') ++i;
    if (i > start && page.compare(i, 6, " times") == 0) {
      return std::stoll(page.substr(start, i - start));
    }
  }
  return -1;
}

TEST_F(Guestbook, PostRedirectsAndThePageShowsTheEntryEscaped) {
  auto post = PostForm(port(), "/guestbook/entries",
                       "name=Alice+%26+Bob&message=%3Cscript%3Ealert(1)%3C%2Fscript%3E+caf%C3%A9");
  ASSERT_EQ(post.status, 303) << post.body;
  EXPECT_EQ(post.Header("Location"), "/guestbook/");

  auto page = HttpGet(port(), "/guestbook/");
  ASSERT_EQ(page.status, 200) << page.body;
  EXPECT_EQ(page.Header("Content-Type"), "text/html; charset=utf-8");
  EXPECT_NE(page.body.find("<title>Guestbook</title>"), std::string::npos) << page.body;  // layout
  EXPECT_NE(page.body.find("<strong>Alice &amp; Bob</strong>"), std::string::npos) << page.body;
  EXPECT_NE(page.body.find("&lt;script&gt;alert(1)&lt;/script&gt; café"), std::string::npos)
      << page.body;
  EXPECT_EQ(page.body.find("<script>alert"), std::string::npos) << page.body;
  EXPECT_NE(page.body.find("1 entries shown"), std::string::npos) << page.body;

  nlohmann::json entries = Entries();
  ASSERT_EQ(entries.size(), 1u) << entries;
  EXPECT_EQ(entries[0]["name"], "Alice & Bob");
  EXPECT_EQ(entries[0]["message"], "<script>alert(1)</script> café");
  EXPECT_TRUE(entries[0]["time"].is_number_integer());
}

// With `session:` configured the page remembers the name a visitor last
// signed with: the POST's redirect sets a signed, HttpOnly session cookie,
// and the page pre-fills the name for that cookie only (not for none, not
// for a forged one).
TEST_F(Guestbook, TheSessionRemembersTheName) {
  auto post = PostForm(port(), "/guestbook/entries", "name=Zo%C3%AB+%3Cb%3E&message=hi");
  ASSERT_EQ(post.status, 303) << post.body;
  std::optional<std::string> set = post.Header("Set-Cookie");
  ASSERT_TRUE(set);
  EXPECT_EQ(set->rfind("spindle_session=", 0), 0u) << *set;
  EXPECT_NE(set->find("; HttpOnly"), std::string::npos) << *set;
  EXPECT_NE(set->find("; SameSite=Lax"), std::string::npos) << *set;
  EXPECT_NE(set->find("; Max-Age=3600"), std::string::npos) << *set;
  const std::string cookie = set->substr(0, set->find(';'));
  const std::string prefilled = "value=\"Zoë &lt;b&gt;\"";
  auto page = HttpGet(port(), "/guestbook/", {{"Cookie", cookie}});
  ASSERT_EQ(page.status, 200);
  EXPECT_NE(page.body.find(prefilled), std::string::npos) << page.body;
  EXPECT_NE(HttpGet(port(), "/guestbook/").body.find("value=\"\""), std::string::npos);
  std::string forged = cookie;
  forged[forged.size() - 3] = forged[forged.size() - 3] == 'A' ? 'B' : 'A';  // the signature
  page = HttpGet(port(), "/guestbook/", {{"Cookie", forged}});
  EXPECT_EQ(page.body.find(prefilled), std::string::npos);
  EXPECT_NE(page.body.find("value=\"\""), std::string::npos);
}

TEST_F(Guestbook, PageViewsAreCounted) {
  long long first = Views(HttpGet(port(), "/guestbook/").body);
  long long second = Views(HttpGet(port(), "/guestbook/").body);
  EXPECT_EQ(first, 1);
  EXPECT_EQ(second, 2);
  EXPECT_EQ(RedisInteger(*stack_->redis, "EXISTS guestbook:views"), 1);
}

TEST_F(Guestbook, BadFormsAre400AndStoreNothing) {
  const char* bad[] = {
      "name=Alice",                                       // no message
      "message=hi",                                       // no name
      "name=+++&message=hi",                              // blank name
      "name=Alice&message=",                              // empty message
      "name=Bob%FF&message=hi",                           // not UTF-8
      "name=A%0AB&message=hi",                            // newline in the name
  };
  for (const char* body : bad) {
    auto r = PostForm(port(), "/guestbook/entries", body);
    EXPECT_EQ(r.status, 400) << body << ": " << r.body;
    EXPECT_NE(r.body.find("bad entry"), std::string::npos) << r.body;
  }
  auto long_name = PostForm(port(), "/guestbook/entries",
                            "name=" + std::string(65, 'x') + "&message=hi");
  EXPECT_EQ(long_name.status, 400) << long_name.body;
  auto long_message = PostForm(port(), "/guestbook/entries",
                               "name=x&message=" + std::string(1001, 'y'));
  EXPECT_EQ(long_message.status, 400) << long_message.body;

  HttpRequest json;
  json.method = "POST";
  json.target = "/guestbook/entries";
  json.headers = {{"Content-Type", "application/json"}};
  json.body = R"({"name":"x","message":"y"})";
  EXPECT_EQ(HttpSend(port(), json).status, 415);

  EXPECT_TRUE(Entries().empty());
  // The limits are inclusive: 64 and 1000 characters (multi-byte ones too).
  std::string name;
  for (int i = 0; i < 64; ++i) name += "%C3%A9";
  auto ok = PostForm(port(), "/guestbook/entries",
                     "name=" + name + "&message=" + std::string(1000, 'y'));
  EXPECT_EQ(ok.status, 303) << ok.body;
  EXPECT_EQ(Entries().size(), 1u);
}

TEST_F(Guestbook, KeepsTheLatestFiftyNewestFirst) {
  HttpClient c(port());
  for (int i = 0; i < 55; ++i) {
    HttpRequest req;
    req.method = "POST";
    req.target = "/guestbook/entries";
    req.headers = {{"Content-Type", "application/x-www-form-urlencoded"}};
    req.body = "name=n" + std::to_string(i) + "&message=m" + std::to_string(i);
    ASSERT_EQ(c.Send(req).status, 303);
  }
  nlohmann::json entries = Entries();
  ASSERT_EQ(entries.size(), 50u);
  EXPECT_EQ(entries[0]["name"], "n54");
  EXPECT_EQ(entries[49]["name"], "n5");
  auto page = HttpGet(port(), "/guestbook/");
  EXPECT_NE(page.body.find("50 entries shown"), std::string::npos);
}

TEST_F(Guestbook, BareMountRedirectsToTheSlash) {
  auto r = HttpGet(port(), "/guestbook");
  EXPECT_EQ(r.status, 301);
  EXPECT_EQ(r.Header("Location"), "/guestbook/");
}

TEST_F(Guestbook, RedisDownIs503ThenRecovers) {
  ASSERT_EQ(PostForm(port(), "/guestbook/entries", "name=a&message=before").status, 303);
  stack_->redis->Stop();

  auto page = HttpGet(port(), "/guestbook/");
  EXPECT_EQ(page.status, 503);
  EXPECT_EQ(page.Header("Retry-After"), "5");
  EXPECT_NE(page.body.find("storage is unavailable"), std::string::npos) << page.body;
  EXPECT_NE(page.body.find("<title>Guestbook unavailable</title>"), std::string::npos);
  EXPECT_EQ(PostForm(port(), "/guestbook/entries", "name=a&message=during").status, 503);
  EXPECT_EQ(HttpGet(port(), "/guestbook/entries.json").status, 503);
  EXPECT_TRUE(stack_->daemon->running());
  // The page's own line, through the app's logger (named after the app),
  // beside the server's "answering 503" lines for the other two routes.
  bool page_logged = false;
  std::string log = stack_->daemon->Log();
  for (size_t b = 0, e; !page_logged && b < log.size(); b = e + 1) {
    e = log.find('\n', b);
    if (e == std::string::npos) e = log.size();
    std::string_view line(log.data() + b, e - b);
    page_logged = line.find("guestbook") != std::string_view::npos &&
                  line.find("redis at '" + stack_->redis->address() + "' failed") !=
                      std::string_view::npos &&
                  line.find("answering 503") == std::string_view::npos;
  }
  EXPECT_TRUE(page_logged) << log;
  EXPECT_FALSE(stack_->nginx->WorkerCrashed());

  // Back (empty: the test server does not persist). The client reconnects
  // with a back-off capped at 200 ms here; allow a few seconds.
  stack_->redis->Start();
  int status = 0;
  for (auto deadline = std::chrono::steady_clock::now() + 10s;
       std::chrono::steady_clock::now() < deadline; std::this_thread::sleep_for(50ms)) {
    status = PostForm(port(), "/guestbook/entries", "name=b&message=after").status;
    if (status == 303) break;
  }
  ASSERT_EQ(status, 303);
  // Both workers recover: nginx spreads requests over them, so wait until
  // ten pages in a row come back whole.
  int streak = 0;
  for (auto deadline = std::chrono::steady_clock::now() + 10s;
       streak < 10 && std::chrono::steady_clock::now() < deadline;) {
    if (HttpGet(port(), "/guestbook/").status == 200) {
      ++streak;
    } else {
      streak = 0;
      std::this_thread::sleep_for(50ms);
    }
  }
  EXPECT_EQ(streak, 10);
  nlohmann::json entries = Entries();
  ASSERT_GE(entries.size(), 1u);
  EXPECT_EQ(entries[0]["message"], "after");
}

}  // namespace
}  // namespace spindle::test
