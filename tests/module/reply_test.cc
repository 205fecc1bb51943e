// Reply tests: the real nginx with our module against a FakeDaemon that
// sends well-formed replies. Covers what the request head carries, the
// response status/headers/body in several frames (buffered and not),
// hide/pass/ignore headers, intercepted errors, streaming with
// X-Accel-Buffering: no, upstream keepalive and spindle_next_upstream.
#include <gtest/gtest.h>

#include <poll.h>
#include <sys/socket.h>

#include <atomic>
#include <string>

#include "module_rig.hpp"

namespace spindle::test {
namespace {

using namespace std::chrono_literals;

TEST(ModuleReply, RequestHeadCarriesMethodUriProtocolParamsAndHeaders) {
  ModuleRig rig([](FakeConnection& c, const FakeRequest& r) { c.Send(DescribeReply(r)); },
                R"(
    location / {
      spindle_pass fake;
      spindle_param SCRIPT_NAME $uri;
      spindle_param ARG_A $arg_a;
      spindle_param EMPTY "" if_not_empty;
      spindle_param CONST "a b c";
    }
    location /noheaders/ { spindle_pass fake; spindle_pass_request_headers off; }
    location /rewritten/ { rewrite ^/rewritten/(.*)$ /new/$1 break; spindle_pass fake; }
  )");
  HttpRequest req;
  req.target = "/path/x%20y?a=1&b=2";
  req.headers = {{"X-One", "1"}, {"X-Two", "a"}, {"X-Two", "b"}};
  HttpResponse resp = HttpSend(rig.nginx.port(), req);
  ASSERT_EQ(resp.status, 200) << resp.body;

  auto reqs = rig.daemon.requests();
  ASSERT_EQ(reqs.size(), 1u);
  const FakeRequest& r = reqs[0];
  EXPECT_EQ(r.method, "GET");
  EXPECT_EQ(r.uri, "/path/x%20y?a=1&b=2");  // raw, as the client sent it
  EXPECT_EQ(r.protocol, "HTTP/1.1");
  EXPECT_EQ(r.remote_addr, "127.0.0.1");  // sent without a spindle_param
  EXPECT_EQ(r.scheme, "http");
  EXPECT_EQ(r.flags, 0);
  EXPECT_EQ(r.content_length, 0);
  EXPECT_TRUE(r.ended);
  EXPECT_TRUE(r.body_frames.empty());
  Headers want_params = {{"SCRIPT_NAME", "/path/x y"}, {"ARG_A", "1"}, {"CONST", "a b c"}};
  EXPECT_EQ(r.params, want_params);
  // Headers in arrival order, duplicates kept.
  ASSERT_GE(r.headers.size(), 5u);
  EXPECT_EQ(r.headers[0].first, "Host");
  EXPECT_EQ(r.headers[1], (std::pair<std::string, std::string>{"X-One", "1"}));
  EXPECT_EQ(r.headers[2], (std::pair<std::string, std::string>{"X-Two", "a"}));
  EXPECT_EQ(r.headers[3], (std::pair<std::string, std::string>{"X-Two", "b"}));

  resp = HttpGet(rig.nginx.port(), "/noheaders/x", {{"X-One", "1"}});
  ASSERT_EQ(resp.status, 200);
  resp = HttpGet(rig.nginx.port(), "/rewritten/a%20b?q=1");
  ASSERT_EQ(resp.status, 200);
  reqs = rig.daemon.requests();
  ASSERT_EQ(reqs.size(), 3u);
  EXPECT_TRUE(reqs[1].headers.empty());
  EXPECT_TRUE(reqs[1].params.empty());
  EXPECT_EQ(reqs[2].uri, "/new/a%20b?q=1");  // rebuilt from the rewritten URI
  EXPECT_FALSE(rig.nginx.WorkerCrashed());
}

// The client's address, scheme and host go in every head (no spindle_param
// needed) as nginx's $remote_addr, $scheme and $host: the Host header
// lowercased without its port, the server's name without one, and the
// address realip made of X-Real-IP from a trusted proxy.
TEST(ModuleReply, RequestHeadCarriesRemoteAddrSchemeAndHost) {
  ModuleRig rig([](FakeConnection& c, const FakeRequest& r) { c.Send(DescribeReply(r)); },
                R"(
    server_name named.example;
    location / { spindle_pass fake; }
    location /proxied/ {
      set_real_ip_from 127.0.0.1;
      real_ip_header X-Real-IP;
      spindle_pass fake;
    }
  )");
  HttpClient client(rig.nginx.port());
  client.SendRaw("GET /a HTTP/1.1\r\nHost: Shop.Example.COM:8080\r\nConnection: close\r\n\r\n");
  ASSERT_EQ(client.ReadResponse().status, 200);
  HttpClient old(rig.nginx.port());
  old.SendRaw("GET /b HTTP/1.0\r\n\r\n");
  ASSERT_EQ(old.ReadResponse().status, 200);
  HttpResponse resp = HttpGet(rig.nginx.port(), "/proxied/c", {{"X-Real-IP", "203.0.113.9"}});
  ASSERT_EQ(resp.status, 200);

  auto reqs = rig.daemon.requests();
  ASSERT_EQ(reqs.size(), 3u);
  EXPECT_EQ(reqs[0].host, "shop.example.com");
  EXPECT_EQ(reqs[0].scheme, "http");
  EXPECT_EQ(reqs[0].remote_addr, "127.0.0.1");
  EXPECT_EQ(reqs[1].host, "named.example");  // no Host: the server's name
  EXPECT_EQ(reqs[2].remote_addr, "203.0.113.9");
}

TEST(ModuleReply, StatusHeadersAndBodyInSeveralFrames) {
  const std::string body = "part0-part1-part2-part3-part4";
  ModuleRig rig(
      [&](FakeConnection& c, const FakeRequest&) {
        std::string out = ResponseHead(
            201, {{"Content-Type", "application/x-test"}, {"X-Multi", "1"}, {"X-Multi", "2"},
                  {"Set-Cookie", "a=1"}, {"Set-Cookie", "b=2"}, {"Location", "/there"}});
        for (size_t i = 0; i < body.size(); i += 6) out += ResponseBody(body.substr(i, 6));
        c.Send(out + ResponseEnd());
      },
      "location /b/ { spindle_pass fake; }\n"
      "location /nb/ { spindle_pass fake; spindle_buffering off; }");
  for (const char* path : {"/b/x", "/nb/x"}) {
    HttpResponse resp = HttpGet(rig.nginx.port(), path);
    EXPECT_EQ(resp.status, 201) << path;
    EXPECT_TRUE(resp.complete) << path;
    EXPECT_EQ(resp.body, body) << path;
    EXPECT_EQ(resp.Header("Content-Type"), "application/x-test") << path;
    EXPECT_EQ(resp.HeaderCount("X-Multi"), 2u) << path;
    EXPECT_EQ(resp.HeaderCount("Set-Cookie"), 2u) << path;
    EXPECT_EQ(resp.Header("Location"), "/there") << path;
  }
  EXPECT_FALSE(rig.nginx.WorkerCrashed());
}

TEST(ModuleReply, ContentLengthFromTheAppReachesTheClient) {
  ModuleRig rig(
      [](FakeConnection& c, const FakeRequest&) {
        c.Send(Response(200, {{"Content-Length", "11"}}, "hello world", 4));
      },
      "location / { spindle_pass fake; }");
  HttpResponse resp = HttpGet(rig.nginx.port(), "/");
  EXPECT_EQ(resp.status, 200);
  EXPECT_EQ(resp.Header("Content-Length"), "11");
  EXPECT_FALSE(resp.chunked);
  EXPECT_EQ(resp.body, "hello world");
}

TEST(ModuleReply, HideAndPassHeaders) {
  ModuleRig rig(
      [](FakeConnection& c, const FakeRequest&) {
        c.Send(Response(200,
                        {{"X-Secret", "s"}, {"X-Public", "p"}, {"X-Accel-Expires", "0"},
                         {"X-Accel-Limit-Rate", "0"}, {"X-Accel-Charset", "utf-8"}},
                        "ok"));
      },
      R"(
    location /default/ { spindle_pass fake; }
    location /custom/ {
      spindle_pass fake;
      spindle_hide_header X-Secret;
      spindle_pass_header X-Accel-Expires;
    }
  )");
  HttpResponse d = HttpGet(rig.nginx.port(), "/default/");
  ASSERT_EQ(d.status, 200);
  EXPECT_EQ(d.Header("X-Secret"), "s");
  EXPECT_EQ(d.Header("X-Public"), "p");
  EXPECT_FALSE(d.Header("X-Accel-Expires"));  // X-Accel-* hidden by default
  EXPECT_FALSE(d.Header("X-Accel-Limit-Rate"));
  EXPECT_FALSE(d.Header("X-Accel-Charset"));

  HttpResponse c = HttpGet(rig.nginx.port(), "/custom/");
  ASSERT_EQ(c.status, 200);
  EXPECT_FALSE(c.Header("X-Secret"));
  EXPECT_EQ(c.Header("X-Public"), "p");
  EXPECT_EQ(c.Header("X-Accel-Expires"), "0");
  EXPECT_FALSE(c.Header("X-Accel-Limit-Rate"));
}

TEST(ModuleReply, XAccelRedirectFollowedUnlessIgnored) {
  ModuleRig rig(
      [](FakeConnection& c, const FakeRequest&) {
        c.Send(Response(200, {{"X-Accel-Redirect", "/internal/file"}}, "from the app"));
      },
      R"(
    location /follow/ { spindle_pass fake; }
    location /ignore/ { spindle_pass fake; spindle_ignore_headers X-Accel-Redirect; }
    location /internal/ { internal; return 200 "from nginx"; }
  )");
  EXPECT_EQ(HttpGet(rig.nginx.port(), "/follow/").body, "from nginx");
  EXPECT_EQ(HttpGet(rig.nginx.port(), "/ignore/").body, "from the app");
}

TEST(ModuleReply, InterceptErrors) {
  ModuleRig rig([](FakeConnection& c,
                   const FakeRequest&) { c.Send(Response(404, {}, "app not found")); },
                R"(
    location /plain/ { spindle_pass fake; }
    location /intercept/ { spindle_pass fake; spindle_intercept_errors on; error_page 404 /err; }
    location = /err { return 404 "custom page"; }
  )");
  HttpResponse p = HttpGet(rig.nginx.port(), "/plain/");
  EXPECT_EQ(p.status, 404);
  EXPECT_EQ(p.body, "app not found");
  HttpResponse i = HttpGet(rig.nginx.port(), "/intercept/");
  EXPECT_EQ(i.status, 404);
  EXPECT_EQ(i.body, "custom page");
}

// The daemon sends the head and a first piece, then waits until the client
// has that piece before it sends the rest: the wait succeeds only if nginx
// passes the piece on at once. (nginx's buffered mode passes a complete
// frame on too when the client is ready, so this cannot tell the modes
// apart; it shows that the unbuffered paths stream.)
struct StreamState {
  std::atomic<bool> client_has_first{false};
  std::atomic<bool> daemon_saw_client{false};
};

void StreamingHandler(StreamState& st, FakeConnection& c, const FakeRequest& r) {
  Headers h = {{"Content-Type", "text/event-stream"}};
  if (r.uri.find("accel=no") != std::string::npos) h.emplace_back("X-Accel-Buffering", "no");
  c.Send(ResponseHead(200, h) + ResponseBody("data: first\n\n"));
  st.daemon_saw_client = FakeDaemon::WaitFor([&] { return st.client_has_first.load(); }, 10s);
  c.Send(ResponseBody("data: second\n\n") + ResponseEnd());
}

TEST(ModuleReply, XAccelBufferingNoStreamsTheResponse) {
  StreamState st;
  ModuleRig rig([&](FakeConnection& c, const FakeRequest& r) { StreamingHandler(st, c, r); },
                "location / { spindle_pass fake; spindle_buffering on; }");
  HttpClient client(rig.nginx.port());
  HttpRequest req;
  req.target = "/events?accel=no";
  client.SendRequest(req);
  HttpResponse resp = client.ReadResponse(false, [&](std::string_view) {
    st.client_has_first = true;
    return true;
  });
  EXPECT_EQ(resp.status, 200);
  EXPECT_EQ(resp.body, "data: first\n\ndata: second\n\n");
  EXPECT_TRUE(st.daemon_saw_client.load()) << "the first piece was held back";
  EXPECT_GE(resp.pieces.size(), 2u);
  EXPECT_FALSE(resp.Header("X-Accel-Buffering"));  // consumed by nginx
}

TEST(ModuleReply, BufferingOffStreamsTheResponse) {
  StreamState st;
  ModuleRig rig([&](FakeConnection& c, const FakeRequest& r) { StreamingHandler(st, c, r); },
                "location / { spindle_pass fake; spindle_buffering off; }");
  HttpClient client(rig.nginx.port());
  HttpRequest req;
  req.target = "/events";
  client.SendRequest(req);
  HttpResponse resp = client.ReadResponse(false, [&](std::string_view) {
    st.client_has_first = true;
    return true;
  });
  EXPECT_EQ(resp.body, "data: first\n\ndata: second\n\n");
  EXPECT_TRUE(st.daemon_saw_client.load()) << "the first piece was held back";
}

TEST(ModuleReply, UpstreamKeepaliveReusesOneConnectionFor100Requests) {
  ModuleRig rig(
      [](FakeConnection& c, const FakeRequest& r) {
        if (r.method == "HEAD") {
          c.Send(ResponseHead(200, {{"Content-Length", "5"}}) + ResponseEnd());
        } else {
          c.Send(Response(200, {{"Content-Type", "text/plain"}}, "hello", 2));
        }
      },
      "location /b/ { spindle_pass fake; }\n"
      "location /nb/ { spindle_pass fake; spindle_buffering off; }");
  HttpClient client(rig.nginx.port());
  for (int i = 0; i < 100; i++) {
    HttpRequest req;
    req.method = (i % 10 == 9) ? "HEAD" : "GET";
    req.target = (i % 2) ? "/b/" + std::to_string(i) : "/nb/" + std::to_string(i);
    HttpResponse resp = client.Send(req);
    ASSERT_EQ(resp.status, 200) << i;
    if (req.method == "GET") {
      ASSERT_EQ(resp.body, "hello") << i;
    }
  }
  EXPECT_EQ(rig.daemon.requests().size(), 100u);
  EXPECT_EQ(rig.daemon.accepts(), 1);
  EXPECT_EQ(client.connects(), 1);
  EXPECT_FALSE(rig.nginx.WorkerCrashed());
}

TEST(ModuleReply, VariablesInSpindlePass) {
  ModuleRig rig([](FakeConnection& c, const FakeRequest& r) { c.Send(DescribeReply(r)); },
                "location / { spindle_pass unix:${DIR}/$arg_sock; }");
  HttpResponse ok = HttpGet(rig.nginx.port(), "/x?sock=fake.sock");
  EXPECT_EQ(ok.status, 200);
  EXPECT_EQ(ok.body, "GET /x?sock=fake.sock body=0 frames=0");
  HttpResponse missing = HttpGet(rig.nginx.port(), "/x?sock=missing.sock");
  EXPECT_EQ(missing.status, 502);
}

TEST(ModuleReply, NextUpstreamSkipsADeadDaemon) {
  TempDir dir;
  FakeDaemon daemon(dir.path(), [](FakeConnection& c, const FakeRequest& r) {
    c.Send(DescribeReply(r));
  });
  NginxOptions o;
  o.vars["DIR"] = dir.path();
  o.vars["SOCK"] = daemon.socket_path();
  o.http = "upstream pair { server unix:${DIR}/dead.sock; server unix:${SOCK}; }";
  o.server = "location / { spindle_pass pair; spindle_next_upstream error timeout; }";
  NginxHarness nginx(o);
  for (int i = 0; i < 4; i++) {
    EXPECT_EQ(HttpGet(nginx.port(), "/").status, 200) << i;
  }
  // The round robin tried the dead one first, logged it, and moved on.
  EXPECT_TRUE(nginx.WaitForLog("dead.sock"));
  EXPECT_EQ(daemon.requests().size(), 4u);
}

}  // namespace
}  // namespace spindle::test

namespace spindle::test {
namespace {

// Waits (bounded) for EOF on the daemon side of a connection.
bool PeerClosed(int fd, std::chrono::milliseconds timeout) {
  pollfd p{fd, POLLIN, 0};
  if (poll(&p, 1, static_cast<int>(timeout.count())) <= 0) return false;
  char c;
  return recv(fd, &c, 1, MSG_PEEK) == 0;
}

TEST(ModuleReply, ClientAbortClosesTheDaemonConnection) {
  std::atomic<int> saw_eof{0}, replied{0};
  ModuleRig rig(
      [&](FakeConnection& c, const FakeRequest& r) {
        if (r.uri.find("/ignore/") == 0) {
          // nginx must keep the daemon connection: the app finishes its reply
          if (!PeerClosed(c.fd(), 300ms)) {
            c.Send(Response(200, {}, "finished anyway"));
            replied++;
          }
          return;
        }
        if (PeerClosed(c.fd(), 10s)) saw_eof++;
        c.Close();
      },
      "location /b/ { spindle_pass fake; }\n"
      "location /nb/ { spindle_pass fake; spindle_buffering off; }\n"
      "location /ignore/ { spindle_pass fake; spindle_ignore_client_abort on; }");
  int n = 0;
  for (const char* path : {"/b/slow", "/nb/slow", "/ignore/slow"}) {
    HttpClient client(rig.nginx.port());
    HttpRequest req;
    req.target = path;
    client.SendRequest(req);
    ++n;
    ASSERT_TRUE(FakeDaemon::WaitFor([&] { return rig.daemon.requests().size() == size_t(n); }));
    client.Close();  // the user gave up
  }
  EXPECT_TRUE(FakeDaemon::WaitFor([&] { return saw_eof.load() == 2 && replied.load() == 1; }))
      << "eof " << saw_eof.load() << " replied " << replied.load();
  EXPECT_TRUE(rig.nginx.WaitForLog("client prematurely closed connection"));
  EXPECT_FALSE(rig.nginx.WorkerCrashed());
}

}  // namespace
}  // namespace spindle::test
