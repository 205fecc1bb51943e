// Config: address parsing, validation, and the JSON and YAML front ends
// (defaults, durations, errors naming the key and line).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <yaml-cpp/yaml.h>

#include <spindle/redis_config.hpp>

#include "redis/config_yaml.hpp"

namespace spindle::redis {
namespace {

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
  for (const char* bad : {"", "unix:", "host:0", "host:99999", "host:x", "::1:6379", "[::1"}) {
    EXPECT_THROW(Endpoint::Parse(bad), std::invalid_argument) << bad;
  }
}

TEST(RedisConfig, FromJson) {
  auto j = nlohmann::json::parse(R"({"address": "unix:/x.sock", "database": 2,
      "password": "p", "pool_size": 4, "command_timeout": "1.5s",
      "connect_timeout": 250, "reconnect_max": "3s", "reconnect_jitter": 0.25})");
  Config c = Config::FromJson(j);
  EXPECT_EQ(c.address, "unix:/x.sock");
  EXPECT_EQ(c.database, 2);
  EXPECT_EQ(c.password, "p");
  EXPECT_EQ(c.pool_size, 4u);
  EXPECT_EQ(c.command_timeout, 1500ms);
  EXPECT_EQ(c.connect_timeout, 250ms);
  EXPECT_EQ(c.reconnect_max, 3000ms);
  EXPECT_DOUBLE_EQ(c.reconnect_jitter, 0.25);
  EXPECT_EQ(c.pool_wait_timeout, Config{}.pool_wait_timeout);  // default kept

  auto expect_error = [](const char* text, const char* needle) {
    try {
      (void)Config::FromJson(nlohmann::json::parse(text));
      ADD_FAILURE() << "accepted " << text;
    } catch (const std::invalid_argument& e) {
      EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
    }
  };
  expect_error(R"({"pool_sise": 2})", "redis.pool_sise: unknown key");
  expect_error(R"({"pool_size": "many"})", "redis.pool_size: expected an integer");
  expect_error(R"({"pool_size": 0})", "redis.pool_size");
  expect_error(R"({"command_timeout": "soon"})", "redis.command_timeout");
  expect_error(R"({"address": "h:0"})", "redis.address");
  expect_error(R"({"reconnect_min": 500, "reconnect_max": 100})", "redis.reconnect_max");
}

TEST(RedisConfig, FromYaml) {
  YAML::Node root = YAML::Load(
      "redis:\n"
      "  address: 127.0.0.1:6390\n"
      "  pool_size: 3\n"
      "  command_timeout: 750ms\n"
      "  password: hunter2\n");
  Config c = ConfigFromYaml(root["redis"]);
  EXPECT_EQ(c.address, "127.0.0.1:6390");
  EXPECT_EQ(c.pool_size, 3u);
  EXPECT_EQ(c.command_timeout, 750ms);
  EXPECT_EQ(c.password, "hunter2");

  YAML::Node bad = YAML::Load("redis:\n  address: /x.sock\n  pool_size: lots\n");
  try {
    (void)ConfigFromYaml(bad["redis"]);
    ADD_FAILURE() << "accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("redis.pool_size"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("line 3"), std::string::npos) << e.what();
  }
  EXPECT_EQ(ConfigFromYaml(YAML::Node()).address, Config{}.address);
}

}  // namespace
}  // namespace spindle::redis
