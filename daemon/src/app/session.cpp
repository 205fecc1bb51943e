// session.cpp: the Redis-backed session store (<spindle/session.hpp>): the
// config reader, cookie signing and verification (OpenSSL HMAC-SHA256 and
// CRYPTO_memcmp, kept out of the public header) and the Redis calls.
// Fiber contract: SessionStore::load and Session::save/rotate/destroy may
// suspend in the redis::Client; the rest is pure.
#include <spindle/response.hpp>
#include <spindle/session.hpp>
#include <spindle/units.hpp>

#include "server/json_duration.hpp"
#include "server/strings.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <array>
#include <cstdint>
#include <stdexcept>

namespace spindle {

namespace impl {

// What a store and every session it loaded share: immutable.
struct SessionCore {
  redis::Client redis;
  SessionConfig config;
};

}  // namespace impl

namespace {

constexpr size_t kIdBytes = 32;
constexpr size_t kSecretMin = 32;
constexpr size_t kEncodedLen = 43;  // base64url of 32 bytes, unpadded
constexpr size_t kCookieLen = kEncodedLen + 1 + kEncodedLen;
// Signed together with the id, so that a MAC made with the same key for
// another purpose never passes as a session signature.
constexpr std::string_view kLabel = "spindle-session-v1:";
// How many same-named cookies of one request load() tries to verify.
constexpr int kMaxCandidates = 8;

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

std::string Base64Url(const unsigned char* p, size_t n) {
  std::string out;
  out.reserve((n * 4 + 2) / 3);
  size_t i = 0;
  for (; i + 3 <= n; i += 3) {
    const uint32_t v = (uint32_t{p[i]} << 16) | (uint32_t{p[i + 1]} << 8) | p[i + 2];
    for (int shift = 18; shift >= 0; shift -= 6) out += kAlphabet[(v >> shift) & 63];
  }
  if (n - i == 1) {
    const uint32_t v = uint32_t{p[i]} << 16;
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
  } else if (n - i == 2) {
    const uint32_t v = (uint32_t{p[i]} << 16) | (uint32_t{p[i + 1]} << 8);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
  }
  return out;
}

bool IsBase64Url(std::string_view s) {
  for (char c : s) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '_';
    if (!ok) return false;
  }
  return true;
}

std::string NewId() {
  std::array<unsigned char, kIdBytes> bytes;
  if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) {
    throw std::runtime_error("session: the OpenSSL random generator failed");
  }
  return Base64Url(bytes.data(), bytes.size());
}

// base64url(HMAC-SHA256(key, label + id)): kEncodedLen characters.
std::string Sign(std::string_view key, std::string_view id) {
  std::string msg;
  msg.reserve(kLabel.size() + id.size());
  msg.append(kLabel).append(id);
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
           reinterpret_cast<const unsigned char*>(msg.data()), msg.size(), mac, &len) == nullptr) {
    throw std::runtime_error("session: HMAC-SHA256 failed");
  }
  return Base64Url(mac, len);
}

// The id of a cookie value signed with the current or a previous secret;
// nullopt for anything else. Checks the shape first, so garbage of any
// length costs no MAC.
std::optional<std::string_view> VerifiedId(const SessionConfig& c, std::string_view value) {
  if (value.size() != kCookieLen || value[kEncodedLen] != '.') return std::nullopt;
  const std::string_view id = value.substr(0, kEncodedLen);
  const std::string_view sig = value.substr(kEncodedLen + 1);
  if (!IsBase64Url(id)) return std::nullopt;
  auto matches = [&](const std::string& key) {
    const std::string expected = Sign(key, id);
    return expected.size() == sig.size() &&
           CRYPTO_memcmp(expected.data(), sig.data(), sig.size()) == 0;
  };
  if (matches(c.secret)) return id;
  for (const std::string& old : c.previous_secrets) {
    if (matches(old)) return id;
  }
  return std::nullopt;
}

void Validate(const SessionConfig& c, std::string_view where) {
  const std::string w(where);
  if (c.secret.size() < kSecretMin) {
    throw std::invalid_argument(w + ".secret: " + std::to_string(c.secret.size()) +
                                " bytes; a session secret needs at least 32 (e.g. the output "
                                "of `openssl rand -base64 48`)");
  }
  for (size_t i = 0; i < c.previous_secrets.size(); ++i) {
    if (c.previous_secrets[i].size() < kSecretMin) {
      throw std::invalid_argument(w + ".previous_secrets[" + std::to_string(i) + "]: " +
                                  std::to_string(c.previous_secrets[i].size()) +
                                  " bytes; a session secret needs at least 32");
    }
  }
  if (c.ttl < std::chrono::milliseconds(1)) {
    throw std::invalid_argument(w + ".ttl: must be at least 1ms");
  }
  SetCookie probe{.name = c.cookie_name, .value = {}, .path = c.path, .domain = c.domain,
                  .max_age = {}, .expires = {}, .secure = c.secure, .http_only = true,
                  .same_site = c.same_site};
  try {
    (void)format_set_cookie(probe);
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument(w + ": " + e.what());
  }
}

[[noreturn]] void BadKey(std::string_view where, const std::string& key, const std::string& why) {
  throw std::invalid_argument(std::string(where) + "." + key + ": " + why);
}

std::string String(std::string_view where, const std::string& key, const nlohmann::json& v) {
  if (!v.is_string()) BadKey(where, key, "expected a string, got " + v.dump());
  return v.get<std::string>();
}

std::chrono::milliseconds Duration(std::string_view where, const std::string& key,
                                   const nlohmann::json& v) {
  if (auto d = server::DurationFromJson(v)) return *d;
  BadKey(where, key, "expected " + std::string(kDurationForm) + ", got " + v.dump());
}

SameSite SameSiteFrom(std::string_view where, const nlohmann::json& v) {
  const std::string s = String(where, "same_site", v);
  if (server::EqualsIgnoreCase(s, "lax")) return SameSite::kLax;
  if (server::EqualsIgnoreCase(s, "strict")) return SameSite::kStrict;
  if (server::EqualsIgnoreCase(s, "none")) return SameSite::kNone;
  BadKey(where, "same_site", "expected lax, strict or none, got " + v.dump());
}

std::chrono::seconds CeilSeconds(std::chrono::milliseconds ms) {
  return std::chrono::ceil<std::chrono::seconds>(ms);
}

}  // namespace

SessionConfig SessionConfig::from_json(const nlohmann::json& j, std::string_view where) {
  if (j.is_null()) BadKey(where, "secret", "required (the session section is missing)");
  if (!j.is_object()) {
    throw std::invalid_argument(std::string(where) + ": expected a mapping, got " + j.dump());
  }
  SessionConfig c;
  bool have_secret = false;
  for (const auto& [key, v] : j.items()) {
    if (key == "secret") {
      c.secret = String(where, key, v);
      have_secret = true;
    } else if (key == "previous_secrets") {
      if (!v.is_array()) BadKey(where, key, "expected a list of strings");
      for (const auto& s : v) c.previous_secrets.push_back(String(where, key, s));
    } else if (key == "cookie_name") {
      c.cookie_name = String(where, key, v);
    } else if (key == "ttl") {
      c.ttl = Duration(where, key, v);
    } else if (key == "path") {
      c.path = String(where, key, v);
    } else if (key == "domain") {
      c.domain = String(where, key, v);
    } else if (key == "secure") {
      if (!v.is_boolean()) BadKey(where, key, "expected true or false, got " + v.dump());
      c.secure = v.get<bool>();
    } else if (key == "same_site") {
      c.same_site = SameSiteFrom(where, v);
    } else if (key == "key_prefix") {
      c.key_prefix = String(where, key, v);
    } else {
      BadKey(where, key, "unknown key");
    }
  }
  if (!have_secret) BadKey(where, "secret", "required");
  Validate(c, where);
  return c;
}

// --- SessionStore -----------------------------------------------------------

SessionStore::SessionStore(redis::Client redis, SessionConfig config) {
  Validate(config, "session config");
  core_ = std::make_shared<const impl::SessionCore>(
      impl::SessionCore{std::move(redis), std::move(config)});
}

const SessionConfig& SessionStore::config() const { return core_->config; }

Session SessionStore::load(std::optional<std::string_view> cookie_value) const {
  Session s(core_);
  if (!cookie_value) return s;
  const std::optional<std::string_view> id = VerifiedId(core_->config, *cookie_value);
  if (!id) return s;  // never looked up: a forged id reaches no Redis call
  std::optional<std::string> text = core_->redis.get(core_->config.key_prefix + std::string(*id));
  if (!text) return s;  // expired or destroyed
  nlohmann::json data = nlohmann::json::parse(*text, nullptr, /*allow_exceptions=*/false);
  if (!data.is_object()) return s;  // not ours to read: start afresh (with a new id)
  s.id_ = *id;
  s.data_ = std::move(data);
  s.is_new_ = false;
  return s;
}

Session SessionStore::load(const Request& req) const {
  // A stale cookie of the same name (another path, an old domain) may come
  // first: take the first one that verifies, not merely the first.
  int tried = 0;
  for (const Field& f : req.headers()) {
    if (!server::EqualsIgnoreCase(f.name, "cookie")) continue;
    for (const auto& [name, value] : parse_cookie_header(f.value)) {
      if (name != core_->config.cookie_name) continue;
      if (VerifiedId(core_->config, value)) return load(value);
      if (++tried == kMaxCandidates) return load(std::nullopt);
    }
  }
  return load(std::nullopt);
}

// --- Session ----------------------------------------------------------------

std::string Session::key() const {
  return id_.empty() ? std::string() : core_->config.key_prefix + id_;
}

SetCookie Session::save() {
  if (!data_.is_object()) {
    throw std::logic_error(std::string("session data must be a JSON object, not ") +
                           data_.type_name());
  }
  const SessionConfig& c = core_->config;
  if (id_.empty()) id_ = NewId();
  core_->redis.set(key(), data_.dump(), c.ttl);
  return SetCookie{.name = c.cookie_name, .value = id_ + "." + Sign(c.secret, id_),
                   .path = c.path, .domain = c.domain, .max_age = CeilSeconds(c.ttl),
                   .expires = {}, .secure = c.secure, .http_only = true,
                   .same_site = c.same_site};
}

void Session::save(Response& res) { set_cookie(res, save()); }

void Session::rotate() {
  const std::string old = key();
  id_ = NewId();
  if (!old.empty()) core_->redis.del(old);
}

SetCookie Session::destroy() {
  const SessionConfig& c = core_->config;
  if (!id_.empty()) core_->redis.del(key());
  id_.clear();
  data_ = nlohmann::json::object();
  is_new_ = true;
  SetCookie gone = expired_cookie(c.cookie_name, c.path, c.domain);
  gone.secure = gone.secure || c.secure;
  gone.http_only = true;
  gone.same_site = c.same_site;
  return gone;
}

void Session::destroy(Response& res) { set_cookie(res, destroy()); }

}  // namespace spindle
