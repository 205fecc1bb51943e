// chat.cpp: the chat example app: server-sent events and long polling on
// Redis Pub/Sub. Routes (below the mount):
//   GET  /                           a small HTML page: EventSource on /events,
//                                    falling back to the long poll
//   (the bare mount redirects to the mount + "/": the server's router does it)
//   POST /rooms/{room}/messages      JSON {"user", "text"} -> stored, published;
//                                    201 with the message {id, user, text, time}
//   GET  /rooms/{room}/messages?since=N
//                                    messages with id > N (oldest first) at once
//                                    if there are any; otherwise waits up to
//                                    poll_timeout for the next one; [] on timeout
//                                    (and at once when the worker drains)
//   GET  /rooms/{room}/events        text/event-stream: the stored messages after
//                                    Last-Event-ID (all of them on a first
//                                    connection), then each new one, event id =
//                                    message id; heartbeat comments every
//                                    sse_heartbeat; ends when the worker drains
//                                    (the browser reconnects with Last-Event-ID)
// Config (the app's `config:` subtree): redis (spindle::redis::Config keys
// over the top-level `redis:` section: AppContext::redis_config()),
// templates (directory), poll_timeout (a duration: "25s", "500ms"; default
// 25s), sse_heartbeat (a duration, default 15s), max_messages (per room,
// default 100), key_prefix ("chat:").
//
// Thread/fiber contract: init runs once per worker in a fiber and builds that
// worker's Redis client and template cache. A waiting poll parks its request
// fiber on a Subscription (shared per worker by channel, refcounted); when
// the client goes away the server cancels the fiber, pop() returns
// kCancelled, and the Subscription's destructor unsubscribes (RAII). A Redis
// failure escapes the handler: the server answers 503 with Retry-After (and
// a Redis call cancelled with the client ends the handler quietly).
#include <spindle/app.hpp>
#include <spindle/lifecycle.hpp>
#include <spindle/mustache_cache.hpp>
#include <spindle/mustache_response.hpp>
#include <spindle/redis.hpp>
#include <spindle/sse.hpp>

#include <nlohmann/json.hpp>

#include <charconv>
#include <chrono>
#include <memory>
#include <string>

#include "room_store.hpp"

namespace chat {
namespace {

constexpr size_t kMaxBody = 16 * 1024;
constexpr size_t kMaxUser = 32;
constexpr size_t kMaxText = 2000;

struct App {
  RoomStore store;
  std::shared_ptr<spindle::TemplateCache> templates;
  std::string mount;
  spindle::Logger log;
  std::chrono::milliseconds poll_timeout{25000};
  std::chrono::milliseconds sse_heartbeat{15000};
};

std::string Room(spindle::Request& req) {
  std::string room(req.path_param("room").value_or(""));
  if (!RoomStore::ValidRoom(room)) {
    throw spindle::HttpError(404, "no such room (names are 1-64 of A-Z a-z 0-9 _ -)");
  }
  return room;
}

bool ValidText(const nlohmann::json& body, const char* key, size_t max_bytes, std::string& out) {
  auto it = body.find(key);
  if (it == body.end() || !it->is_string()) return false;
  out = it->get<std::string>();
  return !out.empty() && out.size() <= max_bytes;
}

void PostMessage(App& app, spindle::Request& req, spindle::Response& res) {
  std::string room = Room(req);
  // 415 unless JSON, 413 past kMaxBody, 400 (a JSON error) when malformed
  // or not UTF-8.
  nlohmann::json body = req.json(kMaxBody, spindle::Deadline::after(std::chrono::seconds(10)));
  std::string user, text;
  if (!body.is_object() || !ValidText(body, "user", kMaxUser, user) ||
      !ValidText(body, "text", kMaxText, text)) {
    throw spindle::HttpError(
        400, nlohmann::json{{"error", "expected {\"user\": 1-32 bytes, \"text\": 1-2000 bytes}"}});
  }
  res.json(app.store.Post(room, user, text), 201);
}

// Parks on the subscription until a message newer than `since` arrives
// (appended to `out`, with whatever else already arrived), the poll
// timeout passes, or the worker begins to drain (a reload: the client polls
// again, at the new worker). False when the fiber was cancelled (client gone).
bool Wait(App& app, spindle::redis::Subscription& sub, const std::string& room, long long since,
          nlohmann::json& out) {
  app.log.debug("chat: poll waiting in room '", room, "' since '", since, "'");
  spindle::Deadline deadline = spindle::Deadline::after(app.poll_timeout);
  spindle::redis::Message m;
  for (;;) {
    spindle::ChannelStatus st = spindle::wake_on_drain([&] { return sub.pop_until(m, deadline); });
    if (st == spindle::ChannelStatus::kCancelled) return false;
    if (st == spindle::ChannelStatus::kClosed) {
      throw spindle::redis::Unavailable(app.store.address(), "redis subscription closed");
    }
    if (st != spindle::ChannelStatus::kSuccess) return true;  // timeout: []
    nlohmann::json msg = nlohmann::json::parse(m.payload, nullptr, false);
    if (MessageId(msg) > since) out.push_back(std::move(msg));
    if (out.empty()) continue;
    while (sub.channel().try_pop(m) == spindle::ChannelStatus::kSuccess) {
      msg = nlohmann::json::parse(m.payload, nullptr, false);
      if (MessageId(msg) > since) out.push_back(std::move(msg));
    }
    return true;
  }
}

void Poll(App& app, spindle::Request& req, spindle::Response& res) {
  std::string room = Room(req);
  long long since = req.query_int("since", 0);
  nlohmann::json out;
  {
    // Subscribe before reading the backlog: a message stored in between
    // is then both in the backlog and on the channel, never in neither.
    spindle::redis::Subscription sub = app.store.Subscribe(room);
    out = app.store.Since(room, since);
    if (out.empty() && !Wait(app, sub, room, since, out)) return;  // client gone
  }  // ~Subscription: unsubscribed here, also when the client went away
  res.set_header("Cache-Control", "no-store");
  res.json(out.is_null() ? nlohmann::json::array() : out);
}

// The id of the last event a reconnecting EventSource saw; 0 without one.
long long LastEventId(const spindle::EventStream& stream) {
  std::string_view id = stream.last_event_id().value_or("");
  long long n = 0;
  auto [end, ec] = std::from_chars(id.data(), id.data() + id.size(), n);
  return ec == std::errc() && end == id.data() + id.size() && n > 0 ? n : 0;
}

void Events(App& app, spindle::Request& req, spindle::Response& res) {
  std::string room = Room(req);
  // Subscribed before the history is read, as in Poll(): a message stored
  // in between arrives twice and is sent once (ids only go up).
  spindle::redis::Subscription sub = app.store.Subscribe(room);
  spindle::EventStreamOptions options;
  options.heartbeat = app.sse_heartbeat;
  spindle::EventStream stream(req, res, options);
  long long last = LastEventId(stream);
  auto send = [&stream, &last](const nlohmann::json& msg) {
    long long id = MessageId(msg);
    if (id <= last) return;
    stream.send(msg.dump(), "message", std::to_string(id));
    last = id;
  };
  for (const nlohmann::json& msg : app.store.Since(room, last)) send(msg);
  spindle::redis::Message m;
  for (;;) {
    spindle::ChannelStatus st = stream.next(sub, m);
    if (st == spindle::ChannelStatus::kClosed) {
      throw spindle::redis::Unavailable(app.store.address(), "redis subscription closed");
    }
    if (st != spindle::ChannelStatus::kSuccess) return;  // drain, or the client left
    send(nlohmann::json::parse(m.payload, nullptr, false));
  }
}

void Page(App& app, spindle::Request& req, spindle::Response& res) {
  std::string room = req.query("room").value_or("lobby");
  if (!RoomStore::ValidRoom(room)) room = "lobby";
  spindle::render_to(res, *app.templates, "index",
                     {{"title", "Spindle chat"}, {"mount", app.mount}, {"room", room}});
}

void Init(spindle::AppContext& ctx) {
  const nlohmann::json& cfg = ctx.config().is_object() ? ctx.config() : nlohmann::json::object();
  long long max_messages = cfg.value("max_messages", 100LL);
  if (max_messages < 1 || max_messages > 100000) {
    throw std::invalid_argument(ctx.name() + ".max_messages: must be 1..100000");
  }
  auto app = std::make_shared<App>(App{
      RoomStore(spindle::redis::Client(ctx.redis_config()), cfg.value("key_prefix", "chat:"),
                max_messages),
      std::make_shared<spindle::TemplateCache>(
          cfg.value("templates", "/usr/share/spindle/examples/chat/templates")),
      ctx.mount(), ctx.logger()});
  app->poll_timeout = ctx.config_duration("poll_timeout", app->poll_timeout);
  if (app->poll_timeout.count() <= 0) {
    throw std::invalid_argument(ctx.name() + ".poll_timeout: must be more than 0");
  }
  app->sse_heartbeat = ctx.config_duration("sse_heartbeat", app->sse_heartbeat);
  if (app->sse_heartbeat.count() <= 0) {
    throw std::invalid_argument(ctx.name() + ".sse_heartbeat: must be more than 0");
  }
  ctx.get("/", [app](spindle::Request& q, spindle::Response& s) { Page(*app, q, s); });
  ctx.post("/rooms/{room}/messages",
           [app](spindle::Request& q, spindle::Response& s) { PostMessage(*app, q, s); });
  ctx.get("/rooms/{room}/messages",
          [app](spindle::Request& q, spindle::Response& s) { Poll(*app, q, s); });
  ctx.get("/rooms/{room}/events",
          [app](spindle::Request& q, spindle::Response& s) { Events(*app, q, s); });
}

}  // namespace
}  // namespace chat

SPINDLE_APP(chat::Init)
