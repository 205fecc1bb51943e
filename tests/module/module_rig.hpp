// ModuleRig: the set-up most module tests share: a temp dir, a FakeDaemon
// on a unix socket in it, and a real nginx with our module whose
// `upstream fake { server unix:...; keepalive 8; }` points at the daemon.
// Members are destroyed in reverse order: nginx stops before the daemon.
//
// Test-thread helper; see fake_daemon.hpp and nginx_harness.hpp.
#pragma once

#include <string>
#include <utility>

#include "fake_daemon.hpp"
#include "http_client.hpp"
#include "nginx_harness.hpp"

namespace spindle::test {

inline NginxOptions RigOptions(const std::string& sock, const std::string& dir,
                               std::string server, std::string http) {
  NginxOptions o;
  o.vars["SOCK"] = sock;
  o.vars["DIR"] = dir;
  o.http = "upstream fake { server unix:${SOCK}; keepalive 8; }\n" + std::move(http);
  o.server = std::move(server);
  return o;
}

struct ModuleRig {
  ModuleRig(FakeDaemon::Handler handler, std::string server, std::string http = {})
      : daemon(dir.path(), std::move(handler)),
        nginx(RigOptions(daemon.socket_path(), dir.path(), std::move(server),
                         std::move(http))) {}

  TempDir dir;
  FakeDaemon daemon;
  NginxHarness nginx;
};

inline HttpRequest Get(std::string target) {
  HttpRequest req;
  req.target = std::move(target);
  return req;
}

// A reply that describes the request it answers (used where the test only
// needs a well-formed response).
inline std::string DescribeReply(const FakeRequest& req) {
  std::string text = req.method + " " + req.uri + " body=" + std::to_string(req.body.size()) +
                     " frames=" + std::to_string(req.body_frames.size());
  return Response(200, {{"Content-Type", "text/plain"}}, text);
}

}  // namespace spindle::test
