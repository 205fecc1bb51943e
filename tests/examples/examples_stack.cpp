// examples_stack.cpp: see examples_stack.hpp.
#include "examples_stack.hpp"

#include <hiredis.h>

#include <stdexcept>

namespace spindle::test {

ExamplesStack::ExamplesStack() {
  redis = std::make_unique<RedisServer>();
  std::string redis_cfg = "{address: \"" + redis->address() +
                          "\", reconnect_max: 200ms, pool_wait_timeout: 200ms}";
  DaemonOptions d;
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
  daemon = std::make_unique<DaemonHarness>(d);
  NginxOptions n;
  n.vars["SOCK"] = daemon->socket_path();
  n.http = "upstream spindled { server unix:${SOCK}; keepalive 64; }";
  n.server = R"(
    location / {
      spindle_pass spindled;
      spindle_read_timeout 60s;
    }
  )";
  nginx = std::make_unique<NginxHarness>(n);
}

ExamplesStack::~ExamplesStack() {
  nginx.reset();
  daemon.reset();
  redis.reset();
}

long long RedisInteger(const RedisServer& redis, const std::string& command, int index) {
  timeval tv{5, 0};
  redisContext* c = redisConnectUnixWithTimeout(redis.socket_path().c_str(), tv);
  if (c == nullptr || c->err) {
    std::string err = c ? c->errstr : "out of memory";
    if (c) redisFree(c);
    throw std::runtime_error("redis connect failed: " + err);
  }
  redisSetTimeout(c, tv);
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
