// session.hpp: server-side sessions for handlers (public app API): a JSON
// object per visitor, kept in Redis under a random id that travels in a
// signed, HttpOnly cookie.
//
//   // init (once per worker):
//   auto store = std::make_shared<spindle::SessionStore>(
//       spindle::redis::Client(app.redis_config()),
//       spindle::SessionConfig::from_json(app.config()["session"]));
//   // a handler:
//   spindle::Session s = store->load(req);        // GET session:<id>
//   s.data()["visits"] = s.data().value("visits", 0) + 1;
//   s.save(res);                                  // SET ... PX ttl + Set-Cookie
//
// The cookie is "<id>.<signature>": a 32-byte id from the OpenSSL CSPRNG and
// its HMAC-SHA256 under the secret, both base64url. A cookie that does not
// verify (forged, truncated, signed with another key, garbage) gives a fresh
// empty session and is never looked up in Redis. The data lives in a Redis
// string (the JSON text) with the session's TTL; each save() sets it again,
// so a session expires ttl after the last save (sliding expiry). Concurrent
// requests of one session each save their own copy: the last save wins.
//
// Fiber contract: load(), save(), rotate() and destroy() talk to Redis and
// may suspend the calling fiber; they run in a handler (or another fiber of
// the worker whose scheduler uses the redis::Client) and throw what the
// Client throws (redis::Unavailable / Timeout: the server answers 503;
// spindle::Cancelled when the request was cancelled). Everything else never
// suspends. A SessionStore is immutable after construction: share one per
// worker among its handlers.
#pragma once

#include <spindle/cookie.hpp>
#include <spindle/redis_client.hpp>
#include <spindle/request.hpp>

#include <nlohmann/json.hpp>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace spindle {

class Response;

namespace impl {
struct SessionCore;
}

struct SessionConfig {
  // The signing key: at least 32 bytes (the text as is; use e.g.
  // `openssl rand -base64 48`). Required.
  std::string secret;
  // Older keys still accepted when verifying a cookie (key rotation); a
  // session verified with one is re-signed with `secret` by its next save().
  std::vector<std::string> previous_secrets;
  std::string cookie_name = "spindle_session";
  std::chrono::milliseconds ttl = std::chrono::hours(24);
  std::string path = "/";
  std::string domain;  // empty: the cookie goes back to the request's host only
  // Secure by default: the browser sends the cookie over https only
  // (browsers treat http://localhost as secure too). Set false for plain-http
  // development on another host name; a session then never sticks otherwise.
  bool secure = true;
  SameSite same_site = SameSite::kLax;
  std::string key_prefix = "session:";

  // Reads an app's `session:` config subtree: `secret`, `previous_secrets`
  // (a list), `cookie_name`, `ttl` (a duration of spindled.yaml's grammar,
  // <spindle/units.hpp>), `path`, `domain`, `secure`, `same_site` ("lax",
  // "strict", "none"; any case), `key_prefix`. Absent keys keep the defaults
  // above. Throws std::invalid_argument naming `where`.<key> for an unknown
  // key, a value of the wrong type, or a missing secret.
  static SessionConfig from_json(const nlohmann::json& j, std::string_view where = "session");
};

class SessionStore;

// One visitor's session as loaded for one request. A plain value: changes to
// data() reach Redis only through save().
class Session {
 public:
  // The session's data: a JSON object (empty for a new session).
  nlohmann::json& data() { return data_; }
  const nlohmann::json& data() const { return data_; }

  // True when nothing was loaded: no cookie, a cookie that did not verify,
  // or a session whose key had expired (or held no JSON object).
  bool is_new() const { return is_new_; }
  // The random id (43 base64url characters); empty for a new session until
  // save() or rotate() gives it one. Not a secret on its own: a cookie also
  // needs the id's signature.
  const std::string& id() const { return id_; }
  // The Redis key of the data, key_prefix + id(); empty while id() is.
  std::string key() const;

  // May suspend. Writes data() (SET key json PX ttl; a new session gets its
  // id now) and adds the session cookie to `res`: HttpOnly, Max-Age=ttl
  // (rounded up to whole seconds), Path, Domain, Secure, SameSite as
  // configured. Throws std::logic_error when data() is not a JSON object,
  // and what set_cookie throws (after the head was sent: std::logic_error,
  // with the data already written).
  void save(Response& res);
  // The same, returning the Set-Cookie instead of adding it.
  [[nodiscard]] SetCookie save();

  // May suspend. Gives the session a new id and deletes the old id's key,
  // so a cookie issued before no longer finds the session: call it when
  // the privilege changes (after login) against session fixation, then
  // save(). The data is kept.
  void rotate();

  // May suspend. Deletes the session's key, empties data() and makes the
  // session new (a later save() starts another session with another id),
  // and adds a Set-Cookie that expires the cookie.
  void destroy(Response& res);
  [[nodiscard]] SetCookie destroy();

 private:
  friend class SessionStore;
  explicit Session(std::shared_ptr<const impl::SessionCore> core)
      : core_(std::move(core)), data_(nlohmann::json::object()) {}

  std::shared_ptr<const impl::SessionCore> core_;
  std::string id_;
  nlohmann::json data_;
  bool is_new_ = true;
};

class SessionStore {
 public:
  // Never suspends, no I/O. Throws std::invalid_argument for a secret (or
  // previous secret) shorter than 32 bytes, a ttl below 1 ms, and cookie
  // settings format_set_cookie would refuse (a name that is not a token,
  // same_site kNone without secure, ...).
  SessionStore(redis::Client redis, SessionConfig config);

  const SessionConfig& config() const;

  // May suspend. The session of the request's cookie (config().cookie_name;
  // when the request carries several, the first that verifies), or a new
  // one. Only a verified id is looked up in Redis.
  Session load(const Request& req) const;
  // The same from the cookie's value (nullopt: no cookie).
  Session load(std::optional<std::string_view> cookie_value) const;

 private:
  std::shared_ptr<const impl::SessionCore> core_;
};

}  // namespace spindle
