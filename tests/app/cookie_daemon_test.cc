// Cookies and sessions through the real spindled (tests/app/cookie_app.cpp
// mounted at /c) and a real redis-server, driven over the daemon's socket
// with the wire protocol: Cookie headers reach cookie(req, ...), Set-Cookie
// headers leave in order, an invalid cookie is a 500, and a session lives
// through visits, login (rotation), logout and a forged cookie in front.
// Thread contract: plain test threads (blocking harnesses).
#include "daemon_harness.hpp"
#include "frame_client.hpp"
#include "redis_server.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

namespace spindle::test {
namespace {

class CookieDaemonTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    redis_ = new RedisServer();
    DaemonOptions o;
    o.yaml = std::string("workers: 1\nlog:\n  level: info\napps:\n  - name: cookies\n    path: ") +
             SPINDLE_COOKIE_APP +
             "\n    mount: /c\n    config:\n      redis: {address: \"" + redis_->address() +
             "\"}\n      session: {secret: \"daemon-test-secret-0123456789abcdef\", ttl: 1h, "
             "secure: false}\n";
    daemon_ = new DaemonHarness(o);
  }
  static void TearDownTestSuite() {
    delete daemon_;
    daemon_ = nullptr;
    delete redis_;
    redis_ = nullptr;
  }

  FrameResponse Get(const std::string& uri, const FieldList& headers = {}) {
    return FrameClient(daemon_->socket_path()).Request("GET", uri, {}, headers);
  }
  FrameResponse Post(const std::string& uri, const FieldList& headers = {}) {
    return FrameClient(daemon_->socket_path()).Request("POST", uri, {}, headers);
  }
  static std::vector<std::string> SetCookies(const FrameResponse& r) {
    std::vector<std::string> out;
    for (const auto& [name, value] : r.headers) {
      if (name == "Set-Cookie") out.push_back(value);
    }
    return out;
  }
  // The spindle_session value of the response's one Set-Cookie.
  static std::string SessionCookie(const FrameResponse& r) {
    const std::vector<std::string> all = SetCookies(r);
    EXPECT_EQ(all.size(), 1u);
    if (all.empty()) return {};
    const std::string prefix = "spindle_session=";
    EXPECT_EQ(all[0].rfind(prefix, 0), 0u) << all[0];
    return all[0].substr(prefix.size(), all[0].find(';') - prefix.size());
  }
  static FieldList WithSession(const std::string& value) {
    return {{"Cookie", "spindle_session=" + value}};
  }

  static RedisServer* redis_;
  static DaemonHarness* daemon_;
};

RedisServer* CookieDaemonTest::redis_ = nullptr;
DaemonHarness* CookieDaemonTest::daemon_ = nullptr;

TEST_F(CookieDaemonTest, CookieHeadersReachTheHandler) {
  const FieldList headers = {{"Cookie", "a=1; b=\"two\""}, {"cookie", "b=3;c=4"}};
  auto r = Get("/c/cookie/echo?name=b", headers);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "two");
  r = Get("/c/cookie/echo?name=c", headers);
  EXPECT_EQ(r.body, "4");
  r = Get("/c/cookie/echo?name=zz", headers);
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(Get("/c/cookie/echo?name=a").status, 404);
}

TEST_F(CookieDaemonTest, SetCookieHeadersLeaveInOrder) {
  auto r = Get("/c/cookie/set");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(SetCookies(r), (std::vector<std::string>{
                               "theme=dark; Max-Age=3600; Path=/; SameSite=Lax",
                               "lang=en",
                               "old=; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; Path=/",
                           }));
}

TEST_F(CookieDaemonTest, InvalidCookieIsA500AndNoHeader) {
  auto r = Get("/c/cookie/bad");
  EXPECT_EQ(r.status, 500);
  EXPECT_TRUE(SetCookies(r).empty());
}

TEST_F(CookieDaemonTest, SessionLivesThroughLoginAndLogout) {
  auto r = Get("/c/session/visit");
  EXPECT_EQ(r.body, "visits=1 user=");
  const std::string first = SessionCookie(r);
  ASSERT_EQ(first.size(), 87u);
  const std::string set = SetCookies(r)[0];
  EXPECT_EQ(set, "spindle_session=" + first + "; Max-Age=3600; Path=/; HttpOnly; SameSite=Lax");

  r = Get("/c/session/visit", WithSession(first));
  EXPECT_EQ(r.body, "visits=2 user=");
  EXPECT_EQ(SessionCookie(r), first);  // same id, same key: the same cookie

  r = Post("/c/session/login", WithSession(first));
  EXPECT_EQ(r.status, 200);
  const std::string after_login = SessionCookie(r);
  EXPECT_NE(after_login, first);

  // The pre-login cookie finds nothing any more (fixation is useless).
  r = Get("/c/session/visit", WithSession(first));
  EXPECT_EQ(r.body, "visits=1 user=");
  r = Get("/c/session/visit", WithSession(after_login));
  EXPECT_EQ(r.body, "visits=3 user=ann");

  r = Post("/c/session/logout", WithSession(after_login));
  EXPECT_EQ(SetCookies(r), (std::vector<std::string>{
                               "spindle_session=; Expires=Thu, 01 Jan 1970 00:00:00 GMT; "
                               "Max-Age=0; Path=/; HttpOnly; SameSite=Lax"}));
  r = Get("/c/session/visit", WithSession(after_login));
  EXPECT_EQ(r.body, "visits=1 user=");
}

TEST_F(CookieDaemonTest, ForgedSameNamedCookieInFrontIsSkipped) {
  auto r = Get("/c/session/visit");
  const std::string good = SessionCookie(r);
  std::string forged = good;
  forged.back() = forged.back() == 'A' ? 'B' : 'A';
  // A stale or planted cookie of the same name first: the one that verifies wins.
  const FieldList headers = {{"Cookie", "spindle_session=" + forged + "; spindle_session=junk"},
                             {"Cookie", "spindle_session=" + good}};
  r = Get("/c/session/visit", headers);
  EXPECT_EQ(r.body, "visits=2 user=");
  EXPECT_EQ(SessionCookie(r), good);
  // Only forged ones: a fresh session with another id.
  r = Get("/c/session/visit", WithSession(forged));
  EXPECT_EQ(r.body, "visits=1 user=");
  EXPECT_NE(SessionCookie(r), good);
}

}  // namespace
}  // namespace spindle::test
