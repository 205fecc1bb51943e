// Config loader tests: defaults, every section, the nginx-like units, and
// errors that name the file, line, column and key path.
#include "config/config.hpp"

#include <gtest/gtest.h>
#include <spindle/units.hpp>

namespace spindle::test {
namespace {

using namespace spindle::config;

LoadResult Load(const std::string& text) { return LoadString(text, "test.yaml", "/base"); }

TEST(Config, MinimalFileGetsDefaults) {
  auto r = Load("listen:\n  path: /run/s.sock\n");
  ASSERT_TRUE(r.config) << r.error;
  const Config& c = *r.config;
  EXPECT_EQ(c.listen.path, "/run/s.sock");
  EXPECT_EQ(c.listen.mode, 0660u);
  EXPECT_EQ(c.workers, 0u);
  EXPECT_GE(c.EffectiveWorkers(), 1u);
  EXPECT_EQ(c.max_inflight, 10000u);
  EXPECT_EQ(c.queue_timeout, std::chrono::seconds(30));
  EXPECT_TRUE(c.apps.empty());
}

// The shipped file against the defaults: config_keys_test.cc, key by key.

TEST(Config, FullFile) {
  auto r = Load(R"(
listen:
  path: run/s.sock
  mode: "0600"
  backlog: 128
workers: 3
stack_size: 128k
max_connections: 500
max_inflight: 20
queue_timeout: 250ms
request_timeout: 2m
idle_timeout: 30
drain_timeout: 5s
limits:
  max_head_size: 32k
  max_headers: 64
  max_body_size: 10m
log:
  level: debug
apps:
  - name: hello
    path: apps/hello.so
    mount: /api/
    config:
      greeting: "007"
      count: 3
      ratio: 0.5
      on: true
      list: [a, 1]
      nothing: ~
)");
  ASSERT_TRUE(r.config) << r.error;
  const Config& c = *r.config;
  EXPECT_EQ(c.listen.path, "/base/run/s.sock");
  EXPECT_EQ(c.listen.mode, 0600u);
  EXPECT_EQ(c.listen.backlog, 128);
  EXPECT_EQ(c.workers, 3u);
  EXPECT_EQ(c.stack_size, 128u * 1024);
  EXPECT_EQ(c.max_connections, 500u);
  EXPECT_EQ(c.max_inflight, 20u);
  EXPECT_EQ(c.queue_timeout, std::chrono::milliseconds(250));
  EXPECT_EQ(c.request_timeout, std::chrono::minutes(2));
  EXPECT_EQ(c.idle_timeout, std::chrono::seconds(30));
  EXPECT_EQ(c.drain_timeout, std::chrono::seconds(5));
  EXPECT_EQ(c.limits.max_head_size, 32u * 1024);
  EXPECT_EQ(c.limits.max_headers, 64u);
  EXPECT_EQ(c.limits.max_body_size, 10u << 20);
  EXPECT_EQ(c.log_level, "debug");
  ASSERT_EQ(c.apps.size(), 1u);
  EXPECT_EQ(c.apps[0].path, "/base/apps/hello.so");
  EXPECT_EQ(c.apps[0].mount, "/api");
  const auto& j = c.apps[0].config;
  EXPECT_EQ(j["greeting"], "007");
  EXPECT_EQ(j["count"], 3);
  EXPECT_EQ(j["ratio"], 0.5);
  EXPECT_EQ(j["on"], true);
  EXPECT_EQ(j["list"][0], "a");
  EXPECT_EQ(j["list"][1], 1);
  EXPECT_TRUE(j["nothing"].is_null());
}

TEST(Config, TcpAddress) {
  auto r = Load("listen:\n  address: 127.0.0.1:9000\n");
  ASSERT_TRUE(r.config) << r.error;
  EXPECT_FALSE(r.config->listen.is_unix());
  EXPECT_EQ(r.config->listen.host, "127.0.0.1");
  EXPECT_EQ(r.config->listen.port, 9000);
}

// The protocol has no authentication: other hosts only with allow_remote.
TEST(Config, RemoteListenAddressNeedsAllowRemote) {
  for (const char* host : {"0.0.0.0", "10.0.0.11", "[::]", "example.com"}) {
    auto r = Load(std::string("listen:\n  address: \"") + host + ":9000\"\n");
    ASSERT_FALSE(r.config) << host;
    EXPECT_NE(r.error.find("is not a loopback address"), std::string::npos) << r.error;
    EXPECT_NE(r.error.find("listen.allow_remote: true"), std::string::npos) << r.error;
    r = Load(std::string("listen:\n  address: \"") + host + ":9000\"\n  allow_remote: true\n");
    ASSERT_TRUE(r.config) << host << ": " << r.error;
    EXPECT_TRUE(r.config->listen.allow_remote);
  }
  for (const char* host : {"127.0.0.1", "127.1.2.3", "localhost", "[::1]"}) {
    auto r = Load(std::string("listen:\n  address: \"") + host + ":9000\"\n");
    EXPECT_TRUE(r.config) << host << ": " << r.error;
  }
  auto r = Load("listen: {path: /s}\nadmin: {address: \"127.0.0.1:9145\", allow_remote: true}\n");
  ASSERT_FALSE(r.config);
  EXPECT_NE(r.error.find("admin.allow_remote"), std::string::npos) << r.error;
}

TEST(Config, RootMountIsEmpty) {
  auto r = Load("listen: {path: /s}\napps:\n  - {name: a, path: /a.so, mount: /}\n");
  ASSERT_TRUE(r.config) << r.error;
  EXPECT_EQ(r.config->apps[0].mount, "");
  r = Load("listen: {path: /s}\napps:\n  - {name: a, path: /a.so, mount: \"\"}\n");
  ASSERT_TRUE(r.config) << r.error;
  EXPECT_EQ(r.config->apps[0].mount, "");
}

struct BadCase {
  const char* yaml;
  const char* expected;  // substring of the error
};

class ConfigErrors : public ::testing::TestWithParam<BadCase> {};

TEST_P(ConfigErrors, NameFileLineColumnAndKey) {
  auto r = Load(GetParam().yaml);
  ASSERT_FALSE(r.config);
  EXPECT_NE(r.error.find(GetParam().expected), std::string::npos) << r.error;
  EXPECT_EQ(r.error.rfind("test.yaml:", 0), 0u) << r.error;
}

INSTANTIATE_TEST_SUITE_P(
    All, ConfigErrors,
    ::testing::Values(
        BadCase{"listen:\n  path: /s\nworkerz: 2\n", "test.yaml:3:1: key 'workerz': unknown key"},
        BadCase{"listen:\n  path: /s\n  mode: rw\n",
                "test.yaml:3:9: key 'listen.mode': expected an octal mode"},
        BadCase{"listen:\n  path: /s\nqueue_timeout: soon\n",
                "test.yaml:3:16: key 'queue_timeout': expected a duration"},
        BadCase{"listen:\n  path: /s\nworkers: -1\n", "key 'workers': expected auto or an integer 1..256, got \"-1\""},
        BadCase{"listen:\n  path: /s\nmax_inflight: 0\n", "key 'max_inflight': value 0 is outside"},
        BadCase{"workers: 2\n", "key 'listen': is required"},
        BadCase{"listen:\n  path: /s\n  address: a:1\n", "set either 'path'"},
        BadCase{"listen:\n  address: 127.0.0.1:1\n  allow_remote: maybe\n",
                "key 'listen.allow_remote': expected true or false"},
        BadCase{"listen:\n  address: nohost\n", "key 'listen.address': expected host:port"},
        BadCase{"listen:\n  path: /s\nlimits:\n  max_body: 1\n",
                "test.yaml:4:3: key 'limits.max_body': unknown key"},
        BadCase{"listen:\n  path: /s\nlog:\n  level: loud\n", "key 'log.level'"},
        BadCase{"listen:\n  path: /s\napps:\n  - name: a\n", "key 'apps[0].path': is required"},
        BadCase{"listen:\n  path: /s\napps:\n  - {name: a, path: /a.so, mount: x}\n",
                "key 'apps[0].mount': must start with '/'"},
        BadCase{"listen:\n  path: /s\napps:\n  - {name: a, path: /a.so, colour: red}\n",
                "key 'apps[0].colour': unknown key"},
        BadCase{"listen:\n  path: /s\napps:\n  - {name: a, path: /a.so}\n  - {name: a, path: /b.so}\n",
                "duplicate app name"},
        BadCase{"listen:\n  path: /s\nredis:\n  reconnect_jitter: nan\n",
                "test.yaml:4:21: key 'redis.reconnect_jitter': expected a number in 0..1"},
        BadCase{"listen: [1, 2\n", "test.yaml:"},
        BadCase{"", "the file is empty"}));

TEST(Config, Units) {
  EXPECT_EQ(parse_duration("250ms"), std::chrono::milliseconds(250));
  EXPECT_EQ(parse_duration("3"), std::chrono::seconds(3));
  EXPECT_EQ(parse_duration("1h"), std::chrono::hours(1));
  EXPECT_EQ(parse_duration("1.5s"), std::chrono::milliseconds(1500));
  EXPECT_EQ(parse_duration("0.25"), std::chrono::milliseconds(250));
  EXPECT_EQ(parse_duration("0"), std::chrono::milliseconds(0));
  EXPECT_FALSE(parse_duration("1d"));
  EXPECT_FALSE(parse_duration("ms"));
  EXPECT_FALSE(parse_duration(""));
  EXPECT_FALSE(parse_duration("-1s"));
  EXPECT_FALSE(parse_duration("1.s"));
  EXPECT_FALSE(parse_duration(".5s"));
  EXPECT_FALSE(parse_duration("1..5s"));
  EXPECT_FALSE(parse_duration("1 s"));
  EXPECT_FALSE(parse_duration("99999999999999h"));
  EXPECT_EQ(parse_size("64k"), 65536u);
  EXPECT_EQ(parse_size("2M"), 2u << 20);
  EXPECT_EQ(parse_size("17"), 17u);
  EXPECT_FALSE(parse_size("1t"));
  EXPECT_FALSE(parse_size("1.5k"));
  EXPECT_FALSE(parse_size("k"));
}

TEST(Config, MissingFileIsAnError) {
  auto r = LoadFile("/nonexistent/spindled.yaml");
  ASSERT_FALSE(r.config);
  EXPECT_NE(r.error.find("/nonexistent/spindled.yaml"), std::string::npos);
  // The structured form is there for every failure, as LoadResult says.
  ASSERT_TRUE(r.failure);
  EXPECT_EQ(r.failure->file, "/nonexistent/spindled.yaml");
  EXPECT_EQ(r.failure->ToString(), r.error);
}

// A range with no upper end (a duration that must be > 0) names only its
// lower end, not 18446744073709551615ms.
TEST(Config, RangeWithoutUpperEndNamesTheMinimum) {
  auto r = Load("listen:\n  path: /s\nredis:\n  connect_timeout: 0\n");
  ASSERT_FALSE(r.config);
  EXPECT_EQ(r.error, "test.yaml:4:20: key 'redis.connect_timeout': duration \"0\" is below the "
                     "minimum 1ms");
}

// Keys are unique (YAML says so): a repeated key is an error, never one of
// the two silently winning (yaml-cpp itself keeps both).
TEST(Config, RepeatedKeyIsAnError) {
  auto r = Load("listen:\n  path: /s\nidle_timeout: 5s\nidle_timeout: 6s\n");
  ASSERT_FALSE(r.config);
  EXPECT_EQ(r.error, "test.yaml:4:1: key 'idle_timeout': repeated (first at line 3)");
  // A second `apps:` used to be dropped without a word.
  r = Load("listen:\n  path: /s\napps:\n  - {name: a, path: /a.so}\napps:\n  - {name: b, path: /b.so}\n");
  ASSERT_FALSE(r.config);
  EXPECT_EQ(r.error, "test.yaml:5:1: key 'apps': repeated (first at line 3)");
  r = Load("listen:\n  path: /s\n  mode: \"0600\"\n  mode: \"0666\"\n");
  ASSERT_FALSE(r.config);
  EXPECT_EQ(r.error, "test.yaml:4:3: key 'listen.mode': repeated (first at line 3)");
  r = Load("listen: {path: /s}\napps:\n  - name: a\n    path: /a.so\n    path: /b.so\n");
  ASSERT_FALSE(r.config);
  EXPECT_EQ(r.error, "test.yaml:5:5: key 'apps[0].path': repeated (first at line 4)");
  // The app's subtree: its `redis:` would be read from the first, the JSON
  // the app sees from the second.
  r = Load("listen: {path: /s}\napps:\n  - name: a\n    path: /a.so\n    config:\n"
           "      redis: {pool_size: 1}\n      redis: {pool_size: 2}\n");
  ASSERT_FALSE(r.config);
  EXPECT_EQ(r.error, "test.yaml:7:7: key 'apps[0].config.redis': repeated (first at line 6)");
}

}  // namespace
}  // namespace spindle::test
