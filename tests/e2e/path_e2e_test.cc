// Routing on the path nginx matched: through the real nginx, a request that
// nginx's location matching sends past a protected `location /admin/` never
// reaches the daemon's /admin/{section}/{id} route, whatever encoding of dot
// segments, slashes or letters it uses; path parameters arrive decoded once;
// the raw URI stays available; a `rewrite` routes on the rewritten path.
#include "daemon_harness.hpp"
#include "http_client.hpp"
#include "nginx_harness.hpp"
#include "shared_stack.hpp"
#include "test_app_yaml.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <memory>
#include <string>

namespace spindle::test {
namespace {

struct PathStack {
  PathStack() {
    DaemonOptions d;
    d.yaml = TestAppYaml("");
    daemon = std::make_unique<DaemonHarness>(d);
    NginxOptions n;
    n.vars["D"] = daemon->socket_path();
    n.server = R"(
      location / { spindle_pass unix:${D}; }
      # The protected area: nothing under /admin/ may reach the daemon.
      location /admin/ { return 403 "protected\n"; }
      location /old/ {
        rewrite ^/old/(.*)$ /where/$1 break;
        spindle_pass unix:${D};
      }
    )";
    nginx = std::make_unique<NginxHarness>(n);
  }
  std::unique_ptr<DaemonHarness> daemon;
  std::unique_ptr<NginxHarness> nginx;
};

class PathE2E : public SharedStackTest<PathStack> {
 protected:
  static HttpResponse Get(const std::string& target) {
    HttpClient c(stack_->nginx->port());
    HttpRequest req;
    req.target = target;
    return c.Send(req);
  }
  static nlohmann::json Where(const std::string& target) {
    HttpResponse r = Get(target);
    EXPECT_EQ(r.status, 200) << target << "\n" << r.body;
    if (r.status != 200) return nlohmann::json::object();
    return nlohmann::json::parse(r.body);
  }
};

TEST_F(PathE2E, TheProtectedRouteIsReachableOnlyThroughItsLocation) {
  EXPECT_EQ(Get("/public").body, "public");
  EXPECT_EQ(Get("/admin/x/1").status, 403);
  // Every way of spelling a path under /admin/ that nginx decodes into it.
  for (const char* target :
       {"/%61dmin/x/1", "/%61%64%6d%69%6e/x/1", "/admin%2Fx%2F1", "/%2Fadmin/x/1",
        "//admin/x/1", "/public/../admin/x/1", "/public/%2E%2E/admin/x/1",
        "/public/%2e%2e/admin/x/1", "/public/.%2E/admin/x/1", "/public/%2E./admin/x/1",
        "/./admin/x/1", "/%2E/admin/x/1", "/public/..%2Fadmin/x/1",
        "/public/%2E%2E%2Fadmin%2Fx%2F1", "/admin/./x/1", "/admin/y/../x/1"}) {
    HttpResponse r = Get(target);
    EXPECT_NE(r.body, "admin") << target << " reached the protected route";
    EXPECT_EQ(r.status, 403) << target;
  }
}

TEST_F(PathE2E, DotSegmentsOutOfTheProtectedAreaRouteWhereNginxMatched) {
  // nginx matches all of these as /public (location /), so the daemon must
  // route them to /public, not to /admin/{section}/{id}.
  for (const char* target :
       {"/admin/%2E%2E/public", "/admin/%2e%2e/public", "/admin/.%2E/public",
        "/admin/%2E./public", "/admin/../public", "/admin/x/../../public",
        "/admin/%2E%2E%2Fpublic", "/admin/./../public", "/admin//..//public",
        "/admin/x/%2E%2E/%2E%2E/public", "/admin/..%2Fpublic"}) {
    HttpResponse r = Get(target);
    EXPECT_EQ(r.status, 200) << target;
    EXPECT_EQ(r.body, "public") << target;
  }
}

TEST_F(PathE2E, WhatNginxDoesNotDecodeIsNotDecodedByTheDaemon) {
  // Double encoding: nginx decodes once, so "%252E%252E" is the literal
  // segment "%2E%2E" and must not become ".." in the daemon.
  auto j = Where("/where/%252E%252E/admin/x/1");
  EXPECT_EQ(j["rest"], "%2E%2E/admin/x/1");
  EXPECT_EQ(j["path"], "/where/%2E%2E/admin/x/1");
  EXPECT_NE(Get("/x/%252E%252E/admin/x/1").body, "admin");
  // Not separators on Linux: a backslash, a semicolon.
  EXPECT_EQ(Get("/admin\\x/1").status, 404);
  EXPECT_EQ(Get("/admin;/x/1").status, 404);
  // Locations and routes are case-sensitive alike.
  EXPECT_EQ(Get("/ADMIN/x/1").status, 404);
}

TEST_F(PathE2E, PathParametersAreDecodedOnceAndTheRawUriStays) {
  auto j = Where("/where/caf%C3%A9%20au%20lait?x=%41");
  EXPECT_EQ(j["rest"], "café au lait");
  EXPECT_EQ(j["path"], "/where/café au lait");
  EXPECT_EQ(j["uri"], "/where/caf%C3%A9%20au%20lait?x=%41");
  HttpResponse seg = Get("/seg/a%20b/%41");
  ASSERT_EQ(seg.status, 200);
  auto s = nlohmann::json::parse(seg.body);
  EXPECT_EQ(s["a"], "a b");
  EXPECT_EQ(s["b"], "A");
  // Repeated slashes are merged, as nginx's merge_slashes does.
  EXPECT_EQ(Where("/where//a///b")["path"], "/where/a/b");
}

TEST_F(PathE2E, AnEncodedSlashSeparatesSegments) {
  // %2F is a '/' to nginx's locations, so it is one to the router too:
  // /seg/{a}/{b} does not match three segments, {rest...} sees the slash.
  EXPECT_EQ(Get("/seg/a%2Fb/c").status, 404);
  HttpResponse two = Get("/seg/a%2Fb");
  ASSERT_EQ(two.status, 200);
  auto s = nlohmann::json::parse(two.body);
  EXPECT_EQ(s["a"], "a");
  EXPECT_EQ(s["b"], "b");
  EXPECT_EQ(Where("/where/a%2Fb")["rest"], "a/b");
}

TEST_F(PathE2E, NulAndEscapesAboveTheRootAreRefused) {
  for (const char* target : {"/where/a%00b", "/../public", "/%2E%2E/public", "/where/../../x"}) {
    HttpResponse r = Get(target);
    EXPECT_EQ(r.status, 400) << target << "\n" << r.body;
  }
  // The connection to the daemon was not harmed: normal requests still work.
  EXPECT_EQ(Get("/public").body, "public");
}

TEST_F(PathE2E, ARewriteRoutesOnTheRewrittenPath) {
  auto j = Where("/old/x%20y?q=1");
  EXPECT_EQ(j["path"], "/where/x y");
  EXPECT_EQ(j["rest"], "x y");
  EXPECT_EQ(j["uri"], "/where/x%20y?q=1");
}

}  // namespace
}  // namespace spindle::test
