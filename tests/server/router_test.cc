// Router unit tests: literal and {param} matching, rest parameters, HEAD via
// GET, 404 vs 405 (with the Allow list), a bare mount's redirect, and
// invalid patterns and mounts.
#include <spindle/router.hpp>

#include <gtest/gtest.h>

#include <stdexcept>

namespace spindle {
namespace {

using Params = std::vector<std::pair<std::string_view, std::string_view>>;

Handler Noop() {
  return [](Request&, Response&) {};
}

TEST(Router, MatchesLiteralsAndParams) {
  Router r;
  r.get("/hello", Noop());
  r.get("/users/{id}", Noop());
  r.get("/users/{id}/posts/{post}", Noop());
  Params p;
  auto m = r.find("GET", "/hello", p);
  ASSERT_EQ(m.kind, Router::MatchKind::kFound);
  EXPECT_EQ(m.route->pattern, "/hello");
  EXPECT_TRUE(p.empty());

  m = r.find("GET", "/users/42", p);
  ASSERT_EQ(m.kind, Router::MatchKind::kFound);
  EXPECT_EQ(m.route->pattern, "/users/{id}");
  ASSERT_EQ(p.size(), 1u);
  EXPECT_EQ(p[0].first, "id");
  EXPECT_EQ(p[0].second, "42");

  m = r.find("GET", "/users/7/posts/abc", p);
  ASSERT_EQ(m.kind, Router::MatchKind::kFound);
  ASSERT_EQ(p.size(), 2u);
  EXPECT_EQ(p[1].first, "post");
  EXPECT_EQ(p[1].second, "abc");
}

TEST(Router, NoPartialOrEmptySegmentMatches) {
  Router r;
  r.get("/users/{id}", Noop());
  r.get("/", Noop());
  Params p;
  EXPECT_EQ(r.find("GET", "/users/", p).kind, Router::MatchKind::kNotFound);
  EXPECT_EQ(r.find("GET", "/users", p).kind, Router::MatchKind::kNotFound);
  EXPECT_EQ(r.find("GET", "/users/1/", p).kind, Router::MatchKind::kNotFound);
  EXPECT_EQ(r.find("GET", "/users/1/x", p).kind, Router::MatchKind::kNotFound);
  EXPECT_EQ(r.find("GET", "/hello", p).kind, Router::MatchKind::kNotFound);
  EXPECT_EQ(r.find("GET", "/", p).kind, Router::MatchKind::kFound);
}

TEST(Router, RestParamTakesTheRemainder) {
  Router r;
  r.get("/files/{path...}", Noop());
  Params p;
  auto m = r.find("GET", "/files/a/b/c.txt", p);
  ASSERT_EQ(m.kind, Router::MatchKind::kFound);
  ASSERT_EQ(p.size(), 1u);
  EXPECT_EQ(p[0].first, "path");
  EXPECT_EQ(p[0].second, "a/b/c.txt");
  EXPECT_EQ(r.find("GET", "/files/", p).kind, Router::MatchKind::kNotFound);
}

TEST(Router, MethodNotAllowedListsAllowedMethods) {
  Router r;
  r.get("/items", Noop());
  r.post("/items", Noop());
  r.del("/items/{id}", Noop());
  Params p;
  auto m = r.find("DELETE", "/items", p);
  ASSERT_EQ(m.kind, Router::MatchKind::kMethodNotAllowed);
  EXPECT_EQ(m.allow, "GET, HEAD, POST");
  EXPECT_EQ(r.find("HEAD", "/items", p).kind, Router::MatchKind::kFound);
  EXPECT_EQ(r.find("PUT", "/nothing", p).kind, Router::MatchKind::kNotFound);
}

TEST(Router, AnyMethodRoute) {
  Router r;
  r.any("/echo", Noop());
  Params p;
  for (const char* m : {"GET", "POST", "PUT", "DELETE", "PATCH"}) {
    EXPECT_EQ(r.find(m, "/echo", p).kind, Router::MatchKind::kFound) << m;
  }
}

TEST(Router, FirstRegisteredRouteWins) {
  Router r;
  r.get("/users/me", Noop());
  r.get("/users/{id}", Noop());
  Params p;
  EXPECT_EQ(r.find("GET", "/users/me", p).route->pattern, "/users/me");
  EXPECT_EQ(r.find("GET", "/users/you", p).route->pattern, "/users/{id}");
}

TEST(Router, RejectsMalformedPatterns) {
  Router r;
  EXPECT_THROW(r.get("hello", Noop()), std::invalid_argument);
  EXPECT_THROW(r.get("/a{b}", Noop()), std::invalid_argument);
  EXPECT_THROW(r.get("/{rest...}/x", Noop()), std::invalid_argument);
  EXPECT_THROW(r.get("/x", Handler()), std::invalid_argument);
}

TEST(Router, BareMountRedirectsToItsSlash) {
  Router r;
  r.add_mount("/chat");
  r.get("/chat/", Noop());
  r.post("/chat/rooms", Noop());
  Params p;
  for (const char* method : {"GET", "HEAD", "POST", "DELETE"}) {
    auto m = r.find(method, "/chat", p);
    ASSERT_EQ(m.kind, Router::MatchKind::kRedirect) << method;
    EXPECT_EQ(m.location, "/chat/");
    EXPECT_EQ(m.route, nullptr);
  }
  EXPECT_EQ(r.find("GET", "/chat/", p).kind, Router::MatchKind::kFound);
  EXPECT_EQ(r.find("GET", "/chatroom", p).kind, Router::MatchKind::kNotFound);
  EXPECT_EQ(r.find("GET", "/chat/x", p).kind, Router::MatchKind::kNotFound);
  EXPECT_EQ(r.find("GET", "/", p).kind, Router::MatchKind::kNotFound);
}

TEST(Router, ARouteOnTheBareMountWinsOverTheRedirect) {
  Router r;
  r.add_mount("/legacy");
  r.get("/legacy", Noop());
  Params p;
  EXPECT_EQ(r.find("GET", "/legacy", p).kind, Router::MatchKind::kFound);
  // The path has a route: another method is a 405, not a redirect.
  auto m = r.find("POST", "/legacy", p);
  EXPECT_EQ(m.kind, Router::MatchKind::kMethodNotAllowed);
  EXPECT_EQ(m.allow, "GET, HEAD");
}

TEST(Router, RejectsMalformedMounts) {
  Router r;
  EXPECT_THROW(r.add_mount(""), std::invalid_argument);
  EXPECT_THROW(r.add_mount("/"), std::invalid_argument);
  EXPECT_THROW(r.add_mount("chat"), std::invalid_argument);
  EXPECT_THROW(r.add_mount("/chat/"), std::invalid_argument);
}

}  // namespace
}  // namespace spindle
