// Sessions (<spindle/session.hpp>) against a real redis-server started in a
// temp dir: round trip, sliding and real expiry, rotation, destruction, key
// rotation with previous_secrets, and hostile cookies (forged, truncated,
// signed with another key, garbage), which must give a fresh session without
// any Redis lookup of the forged id. Also SessionConfig::from_json.
// Fiber contract: the Redis tests run their bodies in a scheduler
// (FIBER_TEST_F); the config tests are plain.
#include <spindle/redis.hpp>
#include <spindle/fiber.hpp>
#include <spindle/session.hpp>

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "fiber_test.hpp"
#include "redis_server.hpp"

namespace spindle::test {
namespace {

using namespace std::chrono_literals;

const std::string kSecret = "test-secret-0123456789abcdef-0123456789";  // 39 bytes
const std::string kOtherSecret = "another-secret-of-enough-length-0123456789";

// base64url(HMAC-SHA256(key, msg)), unpadded: a signature made outside the
// store, to show which texts the store does and does not sign.
std::string MacB64(const std::string& key, const std::string& msg) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(msg.data()), msg.size(), mac, &len);
  static const char k[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  unsigned bits = 0;
  int nbits = 0;
  for (unsigned i = 0; i < len; ++i) {
    bits = (bits << 8) | mac[i];
    nbits += 8;
    while (nbits >= 6) out += k[(bits >> (nbits -= 6)) & 63];
  }
  if (nbits > 0) out += k[(bits << (6 - nbits)) & 63];
  return out;
}

class SessionTest : public ::testing::Test {
 protected:
  void SetUp() override { server_ = std::make_unique<RedisServer>(); }
  void TearDown() override { server_.reset(); }

  redis::Config RedisConfig() const {
    redis::Config c;
    c.address = server_->address();
    c.command_timeout = 5000ms;
    return c;
  }
  SessionConfig Config(std::string secret = kSecret) const {
    SessionConfig c;
    c.secret = std::move(secret);
    c.secure = false;
    return c;
  }
  // How many GET commands the server has run so far (INFO commandstats).
  static long long GetCalls(const redis::Client& r) {
    const std::string info = r.command("INFO", "commandstats").str();
    const std::string key = "cmdstat_get:calls=";
    const size_t pos = info.find(key);
    return pos == std::string::npos ? 0 : std::stoll(info.substr(pos + key.size()));
  }
  static long long DbSize(const redis::Client& r) { return r.command("DBSIZE").integer(); }

  std::unique_ptr<RedisServer> server_;
};

FIBER_TEST_F(SessionTest, RoundTrip) {
  redis::Client redis(RedisConfig());
  SessionStore store(redis, Config());

  Session s = store.load(std::nullopt);
  EXPECT_TRUE(s.is_new());
  EXPECT_TRUE(s.id().empty());
  EXPECT_TRUE(s.key().empty());
  EXPECT_EQ(s.data(), nlohmann::json::object());

  s.data()["user"] = "ann";
  s.data()["cart"] = {1, 2, 3};
  const SetCookie c = s.save();
  EXPECT_EQ(s.id().size(), 43u);
  EXPECT_EQ(s.key(), "session:" + s.id());
  EXPECT_EQ(c.name, "spindle_session");
  ASSERT_EQ(c.value.size(), 87u);
  EXPECT_EQ(c.value.substr(0, 44), s.id() + ".");
  EXPECT_EQ(format_set_cookie(c),
            "spindle_session=" + c.value + "; Max-Age=86400; Path=/; HttpOnly; SameSite=Lax");

  // The data is the JSON text with the ttl on it.
  EXPECT_EQ(nlohmann::json::parse(*redis.get(s.key())), s.data());
  const long long pttl = redis.command("PTTL", s.key()).integer();
  EXPECT_GT(pttl, 0);
  EXPECT_LE(pttl, 86400000);

  Session again = store.load(std::string_view(c.value));
  EXPECT_FALSE(again.is_new());
  EXPECT_EQ(again.id(), s.id());
  EXPECT_EQ(again.data()["user"], "ann");
  EXPECT_EQ(again.data()["cart"], nlohmann::json({1, 2, 3}));

  // Quoted by a client: the parser strips the quotes before load sees it.
  EXPECT_EQ(*find_cookie("spindle_session=\"" + c.value + "\"", "spindle_session"), c.value);
  redis.close();
}

FIBER_TEST_F(SessionTest, ConfiguredCookieAttributes) {
  redis::Client redis(RedisConfig());
  SessionConfig cfg = Config();
  cfg.cookie_name = "__Host-sid";
  cfg.secure = true;
  cfg.same_site = SameSite::kStrict;
  cfg.ttl = 1500ms;  // Max-Age rounds up to whole seconds
  cfg.key_prefix = "app1:s:";
  SessionStore store(redis, cfg);
  Session s = store.load(std::nullopt);
  const SetCookie c = s.save();
  EXPECT_EQ(format_set_cookie(c),
            "__Host-sid=" + c.value + "; Max-Age=2; Path=/; Secure; HttpOnly; SameSite=Strict");
  EXPECT_EQ(s.key(), "app1:s:" + s.id());
  EXPECT_TRUE(redis.exists(s.key()));
  redis.close();
}

FIBER_TEST_F(SessionTest, SaveSlidesTheExpiry) {
  redis::Client redis(RedisConfig());
  SessionStore store(redis, Config());
  Session s = store.load(std::nullopt);
  const SetCookie c = s.save();
  // Pretend most of the ttl has passed; the next save sets it afresh.
  redis.command("PEXPIRE", s.key(), 5000);
  Session again = store.load(std::string_view(c.value));
  ASSERT_FALSE(again.is_new());
  EXPECT_LE(redis.command("PTTL", s.key()).integer(), 5000);
  (void)again.save();
  EXPECT_GT(redis.command("PTTL", s.key()).integer(), 5000);
  redis.close();
}

FIBER_TEST_F(SessionTest, ExpiredSessionIsNew) {
  redis::Client redis(RedisConfig());
  SessionConfig cfg = Config();
  cfg.ttl = 100ms;
  SessionStore store(redis, cfg);
  Session s = store.load(std::nullopt);
  s.data()["user"] = "ann";
  const SetCookie c = s.save();
  EXPECT_EQ(c.max_age, 1s);
  this_fiber::sleep_for(300ms);  // Redis serves no key past its PX
  Session later = store.load(std::string_view(c.value));
  EXPECT_TRUE(later.is_new());
  EXPECT_TRUE(later.id().empty());  // an expired id is not revived
  EXPECT_EQ(later.data(), nlohmann::json::object());
  (void)later.save();
  EXPECT_NE(later.id(), s.id());
  redis.close();
}

FIBER_TEST_F(SessionTest, RotateInvalidatesTheOldId) {
  redis::Client redis(RedisConfig());
  SessionStore store(redis, Config());
  Session s = store.load(std::nullopt);
  s.data()["cart"] = 3;
  const SetCookie before = s.save();
  const std::string old_key = s.key();

  Session login = store.load(std::string_view(before.value));
  ASSERT_FALSE(login.is_new());
  login.rotate();
  EXPECT_NE(login.id(), s.id());
  EXPECT_FALSE(redis.exists(old_key));  // gone at rotate(), before any save
  login.data()["user"] = "ann";
  const SetCookie after = login.save();
  EXPECT_NE(after.value, before.value);

  Session stale = store.load(std::string_view(before.value));
  EXPECT_TRUE(stale.is_new());
  EXPECT_FALSE(redis.exists(old_key));
  Session fresh = store.load(std::string_view(after.value));
  EXPECT_FALSE(fresh.is_new());
  EXPECT_EQ(fresh.data()["cart"], 3);  // rotation keeps the data
  EXPECT_EQ(fresh.data()["user"], "ann");

  // Rotating a new session just gives it an id.
  Session blank = store.load(std::nullopt);
  blank.rotate();
  EXPECT_EQ(blank.id().size(), 43u);
  redis.close();
}

FIBER_TEST_F(SessionTest, DestroyDeletesAndExpiresTheCookie) {
  redis::Client redis(RedisConfig());
  SessionStore store(redis, Config());
  Session s = store.load(std::nullopt);
  s.data()["user"] = "ann";
  const SetCookie c = s.save();
  const std::string key = s.key();

  Session logout = store.load(std::string_view(c.value));
  ASSERT_FALSE(logout.is_new());
  const SetCookie gone = logout.destroy();
  EXPECT_EQ(format_set_cookie(gone),
            "spindle_session=; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; Path=/; "
            "HttpOnly; SameSite=Lax");
  EXPECT_FALSE(redis.exists(key));
  EXPECT_TRUE(logout.is_new());
  EXPECT_TRUE(logout.id().empty());
  EXPECT_EQ(logout.data(), nlohmann::json::object());
  EXPECT_TRUE(store.load(std::string_view(c.value)).is_new());

  // A save after destroy starts another session.
  (void)logout.save();
  EXPECT_NE(logout.key(), key);
  EXPECT_FALSE(redis.exists(key));
  redis.close();
}

// The hostile cookies: none verifies, none is looked up (no GET reaches
// Redis), and saving the fresh session never writes under the forged id.
FIBER_TEST_F(SessionTest, ForgedCookiesGiveAFreshSessionWithoutLookup) {
  redis::Client redis(RedisConfig());
  SessionStore store(redis, Config());
  SessionStore other(redis, Config(kOtherSecret));

  Session real = store.load(std::nullopt);
  real.data()["user"] = "ann";
  const std::string good = real.save().value;
  const std::string id = good.substr(0, 43);
  const std::string sig = good.substr(44);
  Session elsewhere = other.load(std::nullopt);
  const std::string foreign = elsewhere.save().value;  // same id shape, other key

  std::string flipped_sig = good;
  flipped_sig.back() = flipped_sig.back() == 'A' ? 'B' : 'A';
  std::string flipped_id = good;
  flipped_id[0] = flipped_id[0] == 'A' ? 'B' : 'A';
  const std::string chosen_id(43, 'A');  // an attacker's own id, with a stolen signature
  // The store's own signature, recomputed here: the test knows the format.
  ASSERT_EQ(MacB64(kSecret, "spindle-session-v1:" + id), sig);
  std::vector<std::string> forged = {
      "",
      "garbage",
      ".",
      good.substr(0, good.size() - 1),  // truncated
      good.substr(0, 43),               // the id alone
      good.substr(0, 44),               // id and dot
      good + "A",                       // one byte too many
      " " + good.substr(1),
      flipped_sig,
      flipped_id,
      id + "." + id,                        // the id as its own signature
      chosen_id + "." + sig,                // another id with the real signature
      foreign,                              // valid, but under another secret
      id + ":" + sig,                       // wrong separator
      id + "." + std::string(43, '\0'),     // NUL signature
      std::string(87, '.'),
      std::string("\xff", 1) + good.substr(1),
      std::string(1 << 20, 'x'),            // 1 MiB of garbage
      id.substr(0, 42) + "=." + sig,        // not base64url
      id.substr(0, 42) + "\n." + sig,
      // The right secret over another text than the store signs (the bare
      // id, without its label): a MAC made with the key for some other
      // purpose is no session signature.
      id + "." + MacB64(kSecret, id),
  };
  const long long gets_before = GetCalls(redis);
  const long long keys_before = DbSize(redis);
  for (const std::string& f : forged) {
    SCOPED_TRACE(testing::PrintToString(f.substr(0, 100)));
    Session s = store.load(std::string_view(f));
    EXPECT_TRUE(s.is_new());
    EXPECT_TRUE(s.id().empty());
    EXPECT_EQ(s.data(), nlohmann::json::object());
    (void)s.save();
    EXPECT_NE(s.id(), id);
    EXPECT_NE(s.id(), chosen_id);
    EXPECT_NE(s.id(), foreign.substr(0, 43));
  }
  EXPECT_EQ(GetCalls(redis), gets_before);  // not one lookup of a forged id
  EXPECT_EQ(DbSize(redis), keys_before + static_cast<long long>(forged.size()));
  EXPECT_FALSE(redis.exists("session:" + chosen_id));
  // The real session is untouched.
  EXPECT_EQ(store.load(std::string_view(good)).data()["user"], "ann");
  EXPECT_EQ(GetCalls(redis), gets_before + 1);
  redis.close();
}

FIBER_TEST_F(SessionTest, PreviousSecretsVerifyButNeverSign) {
  redis::Client redis(RedisConfig());
  SessionStore old_store(redis, Config(kOtherSecret));
  SessionConfig rotated = Config(kSecret);
  rotated.previous_secrets = {"unrelated-previous-secret-0123456789abcdef", kOtherSecret};
  SessionStore new_store(redis, rotated);
  SessionStore new_only(redis, Config(kSecret));

  Session s = old_store.load(std::nullopt);
  s.data()["user"] = "ann";
  const std::string old_cookie = s.save().value;
  EXPECT_TRUE(new_only.load(std::string_view(old_cookie)).is_new());

  Session moved = new_store.load(std::string_view(old_cookie));
  ASSERT_FALSE(moved.is_new());
  EXPECT_EQ(moved.data()["user"], "ann");
  const std::string new_cookie = moved.save().value;
  EXPECT_EQ(new_cookie.substr(0, 43), old_cookie.substr(0, 43));  // same id,
  EXPECT_NE(new_cookie, old_cookie);                              // new signature
  EXPECT_FALSE(new_only.load(std::string_view(new_cookie)).is_new());
  EXPECT_TRUE(old_store.load(std::string_view(new_cookie)).is_new());
  redis.close();
}

FIBER_TEST_F(SessionTest, KeyThatIsNotAJsonObjectGivesAFreshSession) {
  redis::Client redis(RedisConfig());
  SessionStore store(redis, Config());
  Session s = store.load(std::nullopt);
  const std::string cookie = s.save().value;
  for (const char* stored : {"not json", "[1,2]", "42", "\"text\"", "{\"a\":", ""}) {
    SCOPED_TRACE(stored);
    redis.set(s.key(), stored);
    Session loaded = store.load(std::string_view(cookie));
    EXPECT_TRUE(loaded.is_new());
    EXPECT_TRUE(loaded.id().empty());
  }
  redis.close();
}

FIBER_TEST_F(SessionTest, SavingNonObjectDataIsAnError) {
  redis::Client redis(RedisConfig());
  SessionStore store(redis, Config());
  Session s = store.load(std::nullopt);
  s.data() = nlohmann::json::array({1});
  EXPECT_THROW((void)s.save(), std::logic_error);
  EXPECT_EQ(DbSize(redis), 0);
  redis.close();
}

FIBER_TEST_F(SessionTest, IdsAreDistinct) {
  redis::Client redis(RedisConfig());
  SessionStore store(redis, Config());
  std::set<std::string> ids;
  for (int i = 0; i < 200; ++i) {
    Session s = store.load(std::nullopt);
    s.rotate();
    ids.insert(s.id());
  }
  EXPECT_EQ(ids.size(), 200u);
  redis.close();
}

FIBER_TEST_F(SessionTest, RedisDownThrowsUnavailable) {
  redis::Client redis(RedisConfig());
  SessionStore store(redis, Config());
  Session s = store.load(std::nullopt);
  const std::string cookie = s.save().value;
  // The same secret over a Redis that is not there (no socket at all).
  redis::Config nowhere = RedisConfig();
  nowhere.address = "unix:" + server_->dir() + "/no-such.sock";
  nowhere.connect_timeout = 1000ms;
  nowhere.pool_wait_timeout = 500ms;
  redis::Client down(nowhere);
  SessionStore down_store(down, Config());
  EXPECT_THROW(down_store.load(std::string_view(cookie)), redis::Error);
  // A cookie that does not verify needs no Redis: still a fresh session.
  EXPECT_TRUE(down_store.load(std::string_view("garbage")).is_new());
  EXPECT_TRUE(down_store.load(std::nullopt).is_new());
  down.close();
  redis.close();
}

// --- Config -----------------------------------------------------------------

TEST(SessionConfig, FromJsonReadsEveryKey) {
  const auto j = nlohmann::json::parse(R"({
    "secret": "0123456789abcdef0123456789abcdef",
    "previous_secrets": ["old-0123456789abcdef0123456789abcdef"],
    "cookie_name": "sid", "ttl": "2h", "path": "/app", "domain": "example.com",
    "secure": false, "same_site": "Strict", "key_prefix": "app:"})");
  const SessionConfig c = SessionConfig::from_json(j);
  EXPECT_EQ(c.secret, "0123456789abcdef0123456789abcdef");
  EXPECT_EQ(c.previous_secrets, std::vector<std::string>{"old-0123456789abcdef0123456789abcdef"});
  EXPECT_EQ(c.cookie_name, "sid");
  EXPECT_EQ(c.ttl, 2h);
  EXPECT_EQ(c.path, "/app");
  EXPECT_EQ(c.domain, "example.com");
  EXPECT_FALSE(c.secure);
  EXPECT_EQ(c.same_site, SameSite::kStrict);
  EXPECT_EQ(c.key_prefix, "app:");
}

TEST(SessionConfig, Defaults) {
  const SessionConfig c =
      SessionConfig::from_json({{"secret", "0123456789abcdef0123456789abcdef"}});
  EXPECT_EQ(c.cookie_name, "spindle_session");
  EXPECT_EQ(c.ttl, 24h);
  EXPECT_EQ(c.path, "/");
  EXPECT_TRUE(c.domain.empty());
  EXPECT_TRUE(c.secure);
  EXPECT_EQ(c.same_site, SameSite::kLax);
  EXPECT_EQ(c.key_prefix, "session:");
  EXPECT_TRUE(c.previous_secrets.empty());
}

TEST(SessionConfig, DurationsInTheYamlGrammar) {
  const std::string s = "0123456789abcdef0123456789abcdef";
  EXPECT_EQ(SessionConfig::from_json({{"secret", s}, {"ttl", 90}}).ttl, 90s);
  EXPECT_EQ(SessionConfig::from_json({{"secret", s}, {"ttl", 1.5}}).ttl, 1500ms);
  EXPECT_EQ(SessionConfig::from_json({{"secret", s}, {"ttl", "30m"}}).ttl, 30min);
  EXPECT_EQ(SessionConfig::from_json({{"secret", s}, {"ttl", "250ms"}}).ttl, 250ms);
}

// The message of the std::invalid_argument from_json throws.
std::string FromJsonError(const nlohmann::json& j) {
  try {
    (void)SessionConfig::from_json(j, "shop.session");
    ADD_FAILURE() << "accepted: " << j.dump();
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return {};
}

TEST(SessionConfig, Rejections) {
  const std::string s = "0123456789abcdef0123456789abcdef";
  struct Case {
    nlohmann::json j;
    std::string expect;
  };
  const std::vector<Case> cases = {
      {nullptr, "shop.session.secret: required"},
      {nlohmann::json::object(), "shop.session.secret: required"},
      {"a string", "shop.session: expected a mapping"},
      {{{"secret", std::string(31, 'x')}}, "shop.session.secret: 31 bytes"},
      {{{"secret", 12345}}, "shop.session.secret: expected a string"},
      {{{"secret", s}, {"previous_secrets", {"short"}}}, "shop.session.previous_secrets[0]: 5"},
      {{{"secret", s}, {"previous_secrets", "not-a-list"}}, "expected a list"},
      {{{"secret", s}, {"previous_secrets", {1}}}, "shop.session.previous_secrets: expected a string"},
      {{{"secret", s}, {"ttl", "forever"}}, "shop.session.ttl: expected a duration like"},
      {{{"secret", s}, {"ttl", "-5s"}}, "shop.session.ttl: expected a duration"},
      {{{"secret", s}, {"ttl", "0"}}, "shop.session.ttl: must be at least 1ms"},
      {{{"secret", s}, {"ttl", true}}, "shop.session.ttl"},
      {{{"secret", s}, {"secure", "yes"}}, "shop.session.secure: expected true or false"},
      {{{"secret", s}, {"same_site", "bogus"}}, "shop.session.same_site: expected lax, strict"},
      {{{"secret", s}, {"same_site", "none"}, {"secure", false}}, "SameSite=None requires secure"},
      {{{"secret", s}, {"cookie_name", "bad name"}}, "not an HTTP token"},
      {{{"secret", s}, {"cookie_name", "__Host-x"}, {"path", "/app"}}, "__Host-"},
      {{{"secret", s}, {"path", "/a;b"}}, "path"},
      {{{"secret", s}, {"domain", "ex\r\nample"}}, "domain"},
      {{{"secret", s}, {"sekret", s}}, "shop.session.sekret: unknown key"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.j.dump());
    const std::string what = FromJsonError(c.j);
    EXPECT_NE(what.find(c.expect), std::string::npos) << what;
    EXPECT_EQ(what.find(s), std::string::npos) << "the secret leaked into: " << what;
  }
}

FIBER_TEST(SessionStoreConfig, ConstructorRefusesShortSecrets) {
  redis::Client redis(redis::Config{});  // never used: no I/O happens
  SessionConfig c;
  c.secret = std::string(31, 'k');
  EXPECT_THROW((void)SessionStore(redis, c), std::invalid_argument);
  c.secret.clear();
  EXPECT_THROW((void)SessionStore(redis, c), std::invalid_argument);
  c.secret = std::string(32, 'k');
  c.previous_secrets = {std::string(31, 'o')};
  EXPECT_THROW((void)SessionStore(redis, c), std::invalid_argument);
  c.previous_secrets = {std::string(32, 'o')};
  EXPECT_NO_THROW((void)SessionStore(redis, c));
  c.same_site = SameSite::kNone;
  c.secure = false;
  EXPECT_THROW((void)SessionStore(redis, c), std::invalid_argument);
  c.ttl = 0ms;
  c.secure = true;
  EXPECT_THROW((void)SessionStore(redis, c), std::invalid_argument);
  redis.close();
}

}  // namespace
}  // namespace spindle::test
