// Cache tests: spindle_cache stores a framed reply (head + body frames) and
// serves it again without asking the daemon; conditional request headers
// are not forwarded for a cacheable request (nginx answers them from the
// cache); an unbuffered reply is never cached.
#include <gtest/gtest.h>

#include <atomic>
#include <string>

#include "module_rig.hpp"

namespace spindle::test {
namespace {

TEST(ModuleCache, RepliesAreCachedAndReplayed) {
  std::atomic<int> served{0};
  ModuleRig rig(
      [&](FakeConnection& c, const FakeRequest& r) {
        int n = ++served;
        std::string body = "reply " + std::to_string(n) + " for " + r.uri;
        c.Send(Response(200, {{"Content-Type", "text/plain"}, {"ETag", "\"v1\""}}, body, 3));
      },
      R"(
    location /c/ {
      spindle_pass fake;
      spindle_cache sc;
      spindle_cache_key $uri$is_args$args;
      spindle_cache_valid 200 10m;
      add_header X-Cache $upstream_cache_status always;
    }
    location /nb/ {
      spindle_pass fake;
      spindle_buffering off;
      spindle_cache sc;
      spindle_cache_key $uri;
      spindle_cache_valid 200 10m;
      add_header X-Cache $upstream_cache_status always;
    }
  )",
      "spindle_cache_path ${PREFIX}/cache keys_zone=sc:1m;");
  HttpResponse first = HttpGet(rig.nginx.port(), "/c/page", {{"If-None-Match", "\"v0\""}});
  EXPECT_EQ(first.status, 200);
  EXPECT_EQ(first.body, "reply 1 for /c/page");
  EXPECT_EQ(first.Header("X-Cache"), "MISS");

  HttpResponse second = HttpGet(rig.nginx.port(), "/c/page");
  EXPECT_EQ(second.status, 200);
  EXPECT_EQ(second.body, "reply 1 for /c/page");
  EXPECT_EQ(second.Header("X-Cache"), "HIT");
  EXPECT_EQ(second.Header("Content-Type"), "text/plain");

  HttpResponse conditional = HttpGet(rig.nginx.port(), "/c/page", {{"If-None-Match", "\"v1\""}});
  EXPECT_EQ(conditional.status, 304);  // answered by nginx from the cache

  auto reqs = rig.daemon.requests();
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_FALSE(reqs[0].Header("If-None-Match"));  // not forwarded when cacheable

  // buffering off: nginx does not cache
  EXPECT_EQ(HttpGet(rig.nginx.port(), "/nb/x").body, "reply 2 for /nb/x");
  EXPECT_EQ(HttpGet(rig.nginx.port(), "/nb/x").body, "reply 3 for /nb/x");
  EXPECT_FALSE(rig.nginx.WorkerCrashed());
}

}  // namespace
}  // namespace spindle::test
