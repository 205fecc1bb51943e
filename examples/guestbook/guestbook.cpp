// guestbook.cpp: the guestbook example app. Routes (below the mount):
//   GET  /               HTML page (Mustache, layout + entry partial) with the
//                        latest entries and a page-view counter (INCR)
//   (the bare mount redirects to the mount + "/": the server's router does it)
//   POST /entries        form body (name, message) -> stored, 303 to the page;
//                        400 on bad input, 413 over 16 KiB, 415 on another
//                        content type (spindle::read_form)
//   GET  /entries.json   the latest entries as a JSON array
// Storage: a Redis list of JSON entries, newest first (LPUSH + LTRIM in one
// MULTI/EXEC), and a counter key for page views. Metrics:
// guestbook_entries_total, guestbook_rejected_total (bad forms).
// Config (the app's `config:` subtree): redis (spindle::redis::Config keys
// over the top-level `redis:` section: AppContext::redis_config()),
// templates (directory), max_entries (default 50), key_prefix ("guestbook:"),
// session (spindle::SessionConfig keys: secret, ttl, secure, ...; optional:
// with it the page remembers the name a visitor last signed with, in a
// Redis-backed session behind a signed cookie).
//
// Thread/fiber contract: init runs once per worker in a fiber and builds that
// worker's Redis client and template cache; handlers run in request fibers of
// the same worker and suspend on Redis. A Redis failure becomes a 503 page
// (rendered inside the catch block) on the page; on the form and the JSON it
// escapes, and the server answers 503 with Retry-After.
#include <spindle/app.hpp>
#include <spindle/form.hpp>
#include <spindle/mustache_cache.hpp>
#include <spindle/mustache_response.hpp>
#include <spindle/redis.hpp>
#include <spindle/session.hpp>
#include <spindle/text.hpp>

#include <nlohmann/json.hpp>

#include <chrono>
#include <ctime>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace guestbook {
namespace {

constexpr size_t kMaxBody = 16 * 1024;
constexpr size_t kMaxNameChars = 64;
constexpr size_t kMaxMessageChars = 1000;

struct App {
  spindle::redis::Client redis;
  std::shared_ptr<spindle::TemplateCache> templates;
  std::string mount;
  std::string list_key;
  std::string views_key;
  long long max_entries = 50;
  spindle::Logger log;
  std::shared_ptr<spindle::SessionStore> sessions = nullptr;  // none without `session:`
  spindle::Counter entries = spindle::metrics::counter("guestbook_entries_total",
                                                       "Guestbook entries stored.");
  spindle::Counter rejected = spindle::metrics::counter(
      "guestbook_rejected_total", "Guestbook forms refused as invalid (400).");
};

struct NewEntry {
  std::string name;
  std::string message;
};

// One field of the form, trimmed: 1..max_chars characters of valid UTF-8,
// without control characters (newlines allowed unless single_line). Sets
// `error` (a short sentence for the 400) otherwise.
bool CheckText(const spindle::Form& form, const char* what, size_t max_chars, bool single_line,
               std::string& out, std::string& error) {
  std::optional<std::string> raw = form.get(what);
  if (!raw) {
    error = std::string(what) + " is missing";
    return false;
  }
  out = std::string(spindle::trim(*raw));
  std::optional<size_t> chars = spindle::utf8_length(out);
  const std::string name(what);
  if (!chars) {
    error = name + " is not valid UTF-8";
  } else if (*chars == 0) {
    error = name + " is empty";
  } else if (*chars > max_chars) {
    error = name + " is longer than " + std::to_string(max_chars) + " characters";
  } else if (spindle::has_control_chars(out, !single_line)) {
    error = name + " contains control characters";
  } else {
    return true;
  }
  return false;
}

std::optional<NewEntry> ValidateEntry(const spindle::Form& form, std::string& error) {
  NewEntry e;
  if (!CheckText(form, "name", kMaxNameChars, true, e.name, error) ||
      !CheckText(form, "message", kMaxMessageChars, false, e.message, error)) {
    return std::nullopt;
  }
  return e;
}

std::string FormatTime(long long unix_seconds) {
  std::time_t t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M UTC", &tm);
  return buf;
}

// Entries as stored (newest first); unparseable items are skipped.
nlohmann::json ParseEntries(const std::vector<spindle::redis::Reply>& items) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& item : items) {
    nlohmann::json e = nlohmann::json::parse(item.str(), nullptr, false);
    if (e.is_object()) out.push_back(std::move(e));
  }
  return out;
}

// The page's answer to a failing Redis: a 503 page that says so, and a log
// line. (The other routes let the error escape: the server answers 503 with
// Retry-After.) Called inside the catch block: rendering may suspend there.
void Unavailable(const App& app, spindle::Response& res, const spindle::redis::Error& e) {
  app.log.warn("redis at '", e.address(), "' failed: '", e.what(), "'");
  res.set_header("Retry-After", "5");
  res.set_status(503);
  spindle::render_to(res, *app.templates, "unavailable",
                     {{"mount", app.mount}, {"title", "Guestbook unavailable"}});
}

void Page(const App& app, spindle::Request& req, spindle::Response& res) {
  nlohmann::json entries;
  long long views = 0;
  std::string name;
  try {
    if (app.sessions) name = app.sessions->load(req).data().value("name", "");
    auto p = app.redis.pipeline();
    p.add("INCR", app.views_key).add("LRANGE", app.list_key, 0, app.max_entries - 1);
    std::vector<spindle::redis::Reply> r = p.execute();
    views = r.at(0).integer();
    entries = ParseEntries(r.at(1).array());
  } catch (const spindle::redis::Error& e) {
    return Unavailable(app, res, e);
  }
  for (auto& e : entries) e["when"] = FormatTime(e.value("time", 0LL));
  nlohmann::json data = {{"title", "Guestbook"}, {"mount", app.mount},
                         {"entries", std::move(entries)}, {"views", views},
                         {"name", name}};
  data["count"] = data["entries"].size();
  spindle::render_to(res, *app.templates, "index", data);
}

void Post(const App& app, spindle::Request& req, spindle::Response& res) {
  spindle::FormLimits limits;
  limits.max_body = kMaxBody;
  spindle::Form form =
      spindle::read_form(req, limits, spindle::Deadline::after(std::chrono::seconds(10)));
  std::string error;
  std::optional<NewEntry> entry = ValidateEntry(form, error);
  if (!entry) {
    app.rejected.inc();
    return res.send(400, "text/plain", "bad entry: " + error + "\n");
  }
  long long now = std::chrono::duration_cast<std::chrono::seconds>(
                      std::chrono::system_clock::now().time_since_epoch()).count();
  std::string json = nlohmann::json{{"name", entry->name}, {"message", entry->message},
                                    {"time", now}}.dump();
  auto tx = app.redis.transaction();
  tx.add("LPUSH", app.list_key, json).add("LTRIM", app.list_key, 0, app.max_entries - 1);
  (void)tx.execute();
  app.entries.inc();
  if (app.sessions) {
    spindle::Session s = app.sessions->load(req);
    s.data()["name"] = entry->name;
    s.save(res);  // Set-Cookie goes out with the redirect
  }
  res.redirect(app.mount + "/", 303);
}

void Json(const App& app, spindle::Request&, spindle::Response& res) {
  nlohmann::json entries =
      ParseEntries(app.redis.command("LRANGE", app.list_key, 0, app.max_entries - 1).array());
  res.send(200, "application/json", entries.dump() + "\n");
}

void Init(spindle::AppContext& ctx) {
  const nlohmann::json& cfg = ctx.config().is_object() ? ctx.config() : nlohmann::json::object();
  auto app = std::make_shared<App>(App{
      spindle::redis::Client(ctx.redis_config()),
      std::make_shared<spindle::TemplateCache>(
          cfg.value("templates", "/usr/share/spindle/examples/guestbook/templates")),
      ctx.mount(), "", "", cfg.value("max_entries", 50LL), ctx.logger()});
  std::string prefix = cfg.value("key_prefix", "guestbook:");
  app->list_key = prefix + "entries";
  app->views_key = prefix + "views";
  if (app->max_entries < 1 || app->max_entries > 10000) {
    throw std::invalid_argument(ctx.name() + ".max_entries: must be 1..10000");
  }
  if (cfg.contains("session")) {
    app->sessions = std::make_shared<spindle::SessionStore>(
        app->redis, spindle::SessionConfig::from_json(cfg["session"], ctx.name() + ".session"));
  }
  ctx.get("/", [app](spindle::Request& q, spindle::Response& s) { Page(*app, q, s); });
  ctx.post("/entries", [app](spindle::Request& q, spindle::Response& s) { Post(*app, q, s); });
  ctx.get("/entries.json", [app](spindle::Request& q, spindle::Response& s) { Json(*app, q, s); });
}

}  // namespace
}  // namespace guestbook

SPINDLE_APP(guestbook::Init)
