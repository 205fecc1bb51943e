// examples_stack.cpp: see examples_stack.hpp.
#include "examples_stack.hpp"

#include <hiredis.h>

#include <stdexcept>

namespace spindle::test {

ExamplesStack::ExamplesStack(ExamplesStackOptions options) {
  redis = std::make_unique<RedisServer>();
  std::string redis_cfg = "{address: \"" + redis->address() +
                          "\", reconnect_max: 200ms, pool_wait_timeout: 200ms}";
  DaemonOptions d;
  if (options.tcp) d.listen = kTcpListen;
  d.expect_workers = 2;
  d.yaml = std::string("workers: 2\nlog:\n  level: debug\napps:\n") +
           "  - name: guestbook\n    path: " GUESTBOOK_APP "\n    mount: /guestbook\n"
           "    config:\n      templates: " GUESTBOOK_TEMPLATES "\n"
           "      session: {secret: \"an example secret of at least thirty-two bytes\", ttl: 1h}\n"
           "      redis: " + redis_cfg +
           "\n  - name: chat\n    path: " CHAT_APP "\n    mount: /chat\n"
           "    config:\n      templates: " CHAT_TEMPLATES "\n      poll_timeout: 20s\n"
           "      redis: " + redis_cfg +
           "\n  - name: chatshort\n    path: " CHAT_APP "\n    mount: /chatshort\n"
           "    config:\n      templates: " CHAT_TEMPLATES "\n      poll_timeout: 300ms\n"
           "      sse_heartbeat: 200ms\n"
           "      redis: " + redis_cfg + "\n";
  std::string servers;
  for (int i = 0; i < options.daemons; ++i) {
    daemons.push_back(std::make_unique<DaemonHarness>(d));
    servers += " server " + daemons.back()->address() + ";";
  }
  daemon = daemons.front().get();
  NginxOptions n;
  n.http = "upstream spindled {" + servers + " keepalive 64; }\n";
  n.server = R"(
    location / {
      spindle_pass spindled;
      spindle_read_timeout 60s;
    }
  )";
  for (int i = 0; options.daemons > 1 && i < options.daemons; ++i) {
    const std::string k = std::to_string(i);
    n.http += "upstream spindled_" + k + " { server " + daemons[i]->address() +
              "; keepalive 8; }\n";
    n.server += "    location /via/" + k + "/ {\n      rewrite ^/via/" + k +
                "(/.*)$ $1 break;\n      spindle_pass spindled_" + k +
                ";\n      spindle_read_timeout 60s;\n    }\n";
  }
  nginx = std::make_unique<NginxHarness>(n);
}

ExamplesStack::~ExamplesStack() {
  nginx.reset();
  daemons.clear();
  redis.reset();
}

redisContext* ConnectRedis(const RedisServer& redis, int timeout_s) {
  timeval tv{timeout_s, 0};
  redisContext* c = redisConnectUnixWithTimeout(redis.socket_path().c_str(), tv);
  if (c == nullptr || c->err) {
    std::string err = c ? c->errstr : "out of memory";
    if (c) redisFree(c);
    throw std::runtime_error("redis connect failed: " + err);
  }
  redisSetTimeout(c, tv);
  return c;
}

long long RedisInteger(const RedisServer& redis, const std::string& command, int index) {
  redisContext* c = ConnectRedis(redis, 5);
  auto* r = static_cast<redisReply*>(redisCommand(c, command.c_str()));
  long long value = 0;
  std::string err;
  if (r == nullptr) {
    err = c->errstr;
  } else if (index < 0 && r->type == REDIS_REPLY_INTEGER) {
    value = r->integer;
  } else if (index >= 0 && r->type == REDIS_REPLY_ARRAY && static_cast<size_t>(index) < r->elements &&
             r->element[index]->type == REDIS_REPLY_INTEGER) {
    value = r->element[index]->integer;
  } else {
    err = "unexpected reply type " + std::to_string(r->type);
  }
  if (r) freeReplyObject(r);
  redisFree(c);
  if (!err.empty()) throw std::runtime_error("redis '" + command + "': " + err);
  return value;
}

size_t Count(const std::string& s, const std::string& what) {
  size_t n = 0;
  for (size_t p = 0; (p = s.find(what, p)) != std::string::npos; p += what.size()) ++n;
  return n;
}

std::string Waiting(const std::string& room) {
  return "chat: poll waiting in room '" + room + "'";
}

std::future<std::string> Listen(uint16_t port, const std::string& target,
                                std::function<bool(const std::string&)> done, Headers headers) {
  return std::async(std::launch::async, [=] {
    HttpClient c(port, "127.0.0.1", std::chrono::seconds(15));
    HttpRequest req;
    req.target = target;
    req.headers = headers;
    c.SendRequest(req);
    std::string body;
    HttpResponse head = c.ReadResponse(false, [&](std::string_view piece) {
      body.append(piece);
      return !done(body);
    });
    if (head.Header("Content-Type") != "text/event-stream") return "bad head: " + head.body;
    return body;
  });
}

HttpResponse PostForm(uint16_t port, const std::string& target, const std::string& body) {
  HttpRequest req;
  req.method = "POST";
  req.target = target;
  req.headers = {{"Content-Type", "application/x-www-form-urlencoded"}};
  req.body = body;
  req.send_content_length_zero = true;
  return HttpSend(port, req);
}

HttpResponse PostJson(uint16_t port, const std::string& target, const std::string& body) {
  HttpRequest req;
  req.method = "POST";
  req.target = target;
  req.headers = {{"Content-Type", "application/json"}};
  req.body = body;
  req.send_content_length_zero = true;
  return HttpSend(port, req);
}

}  // namespace spindle::test
