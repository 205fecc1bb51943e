// Config: address parsing, validation, and the JSON and YAML front ends
// (one key table: defaults, the one duration grammar, errors naming the key
// path and, from YAML, the line), and the per-app merge behind
// AppContext::redis_config().
#include <gtest/gtest.h>

#include <cmath>

#include <nlohmann/json.hpp>
#include <spindle/redis_config.hpp>

#include "config/config.hpp"

namespace spindle::test {
namespace {

using namespace spindle::redis;

using namespace std::chrono_literals;

TEST(RedisConfig, Endpoints) {
  Endpoint e = Endpoint::Parse("unix:/run/redis.sock");
  EXPECT_TRUE(e.is_unix);
  EXPECT_EQ(e.path, "/run/redis.sock");
  e = Endpoint::Parse("/tmp/r.sock");
  EXPECT_TRUE(e.is_unix);
  EXPECT_EQ(e.path, "/tmp/r.sock");
  e = Endpoint::Parse("10.1.2.3:6380");
  EXPECT_FALSE(e.is_unix);
  EXPECT_EQ(e.host, "10.1.2.3");
  EXPECT_EQ(e.port, 6380);
  e = Endpoint::Parse("redis.local");
  EXPECT_EQ(e.port, 6379);
  e = Endpoint::Parse("[::1]:7000");
  EXPECT_EQ(e.host, "::1");
  EXPECT_EQ(e.port, 7000);
  // "host:" and "[::1]:" are neither host:port nor host (they used to mean 6379).
  for (const char* bad : {"", "unix:", "host:0", "host:99999", "host:x", "::1:6379", "[::1",
                          "host:", "[::1]:"}) {
    EXPECT_THROW(Endpoint::Parse(bad), std::invalid_argument) << bad;
  }
}

TEST(RedisConfig, FromJson) {
  auto j = nlohmann::json::parse(R"({"address": "unix:/x.sock", "database": 2,
      "password": "p", "pool_size": 4, "command_timeout": "1.5s",
      "connect_timeout": "250ms", "pool_wait_timeout": 2, "reconnect_max": "3s",
      "reconnect_jitter": 0.25})");
  Config c = Config::FromJson(j);
  EXPECT_EQ(c.address, "unix:/x.sock");
  EXPECT_EQ(c.database, 2);
  EXPECT_EQ(c.password, "p");
  EXPECT_EQ(c.pool_size, 4u);
  EXPECT_EQ(c.command_timeout, 1500ms);
  EXPECT_EQ(c.connect_timeout, 250ms);
  EXPECT_EQ(c.reconnect_max, 3000ms);
  EXPECT_EQ(c.pool_wait_timeout, 2s);  // a bare number is seconds, as everywhere
  EXPECT_DOUBLE_EQ(c.reconnect_jitter, 0.25);
  EXPECT_EQ(c.reconnect_min, Config{}.reconnect_min);  // default kept

  auto expect_error = [](const char* text, const char* needle) {
    try {
      (void)Config::FromJson(nlohmann::json::parse(text));
      ADD_FAILURE() << "accepted " << text;
    } catch (const std::invalid_argument& e) {
      EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
    }
  };
  expect_error(R"({"pool_sise": 2})", "key 'redis.pool_sise': unknown key");
  expect_error(R"({"pool_size": "many"})", "key 'redis.pool_size': expected a non-negative integer");
  expect_error(R"({"pool_size": {"a": 1}})", "key 'redis.pool_size': expected a scalar value");
  expect_error(R"({"reconnect_jitter": 2})", "key 'redis.reconnect_jitter'");
  expect_error(R"([1])", "key 'redis': expected a map");
  expect_error(R"({"pool_size": 0})", "redis.pool_size");
  expect_error(R"({"command_timeout": "soon"})", "redis.command_timeout");
  expect_error(R"({"address": "h:0"})", "redis.address");
  expect_error(R"({"reconnect_min": 500, "reconnect_max": 100})", "redis.reconnect_max");
  expect_error(R"({"reconnect_jitter": "nan"})", "key 'redis.reconnect_jitter': expected a number");
}

// NaN compares false both ways: a "< 0 || > 1" check lets it through.
TEST(RedisConfig, ValidateRefusesANanJitter) {
  Config c;
  c.reconnect_jitter = std::nan("");
  EXPECT_THROW(c.Validate(), std::invalid_argument);
}

config::LoadResult Load(const std::string& text) {
  return config::LoadString(text, "t.yaml", "/base");
}

// The documented default of username and password is empty (no AUTH): it can
// be written out, and an app's `config.redis` can clear the section's.
TEST(RedisConfig, EmptyPasswordMeansNoAuth) {
  Config c = Config::FromJson(nlohmann::json::parse(R"({"password": "", "username": ""})"));
  EXPECT_EQ(c.password, "");
  EXPECT_EQ(c.username, "");
  auto r = Load(
      "listen: {path: /s}\n"
      "redis: {password: secret}\n"
      "apps:\n"
      "  - {name: a, path: /a.so, config: {redis: {password: \"\"}}}\n");
  ASSERT_TRUE(r.config) << r.error;
  EXPECT_EQ(r.config->redis->password, "secret");
  EXPECT_EQ(r.config->apps[0].redis.password, "");
  // An empty address still is an error.
  r = Load("listen: {path: /s}\nredis: {address: \"\"}\n");
  ASSERT_FALSE(r.config);
  EXPECT_NE(r.error.find("key 'redis.address'"), std::string::npos) << r.error;
}

TEST(RedisConfig, FromYaml) {
  auto r = Load(
      "listen: {path: /s}\n"
      "redis:\n"
      "  address: 127.0.0.1:6390\n"
      "  pool_size: 3\n"
      "  command_timeout: 750ms\n"
      "  connect_timeout: 1.5\n"
      "  password: hunter2\n");
  ASSERT_TRUE(r.config) << r.error;
  ASSERT_TRUE(r.config->redis);
  const Config& c = *r.config->redis;
  EXPECT_EQ(c.address, "127.0.0.1:6390");
  EXPECT_EQ(c.pool_size, 3u);
  EXPECT_EQ(c.command_timeout, 750ms);
  EXPECT_EQ(c.connect_timeout, 1500ms);
  EXPECT_EQ(c.password, "hunter2");

  r = Load("listen: {path: /s}\nredis:\n  address: /x.sock\n  pool_size: lots\n");
  ASSERT_FALSE(r.config);
  ASSERT_TRUE(r.failure);
  EXPECT_EQ(r.failure->key, "redis.pool_size");
  EXPECT_EQ(r.failure->mark.line, 4);
  EXPECT_EQ(r.failure->mark.column, 14);
  EXPECT_EQ(r.error, "t.yaml:4:14: key 'redis.pool_size': expected a non-negative integer, "
                     "got \"lots\"");
  // A rule between two keys blames the second, at its line.
  r = Load("listen: {path: /s}\nredis:\n  reconnect_min: 2s\n  reconnect_max: 1s\n");
  ASSERT_FALSE(r.config);
  EXPECT_EQ(r.error, "t.yaml:4:18: key 'redis.reconnect_max': must be >= reconnect_min");
}

// AppContext::redis_config(): the top-level section, the app's keys over it.
TEST(RedisConfig, AppOverridesMergeOverTheTopLevelSection) {
  auto r = Load(
      "listen: {path: /s}\n"
      "redis: {address: \"unix:/r.sock\", pool_size: 4, command_timeout: 3s}\n"
      "apps:\n"
      "  - {name: plain, path: /a.so}\n"
      "  - name: own\n"
      "    path: /b.so\n"
      "    config: {redis: {pool_size: 1, database: 2}}\n");
  ASSERT_TRUE(r.config) << r.error;
  const auto& apps = r.config->apps;
  ASSERT_EQ(apps.size(), 2u);
  EXPECT_TRUE(apps[0].redis_configured);
  EXPECT_EQ(apps[0].redis, *r.config->redis);
  EXPECT_TRUE(apps[1].redis_configured);
  EXPECT_EQ(apps[1].redis.address, "unix:/r.sock");
  EXPECT_EQ(apps[1].redis.pool_size, 1u);
  EXPECT_EQ(apps[1].redis.database, 2);
  EXPECT_EQ(apps[1].redis.command_timeout, 3s);

  r = Load("listen: {path: /s}\napps:\n  - {name: a, path: /a.so}\n");
  ASSERT_TRUE(r.config) << r.error;
  EXPECT_FALSE(r.config->apps[0].redis_configured);
  EXPECT_EQ(r.config->apps[0].redis, Config{});

  // The app's keys are checked at load, with their position.
  r = Load(
      "listen: {path: /s}\n"
      "apps:\n"
      "  - name: a\n"
      "    path: /a.so\n"
      "    config:\n"
      "      redis:\n"
      "        pool_sise: 2\n");
  ASSERT_FALSE(r.config);
  EXPECT_EQ(r.error, "t.yaml:7:9: key 'apps[0].config.redis.pool_sise': unknown key");
}

}  // namespace
}  // namespace spindle::test
