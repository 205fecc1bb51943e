// The `postgres:` section of spindled.yaml and each app's `config.postgres`
// overrides (config/config.cpp through config/postgres_keys.hpp): parsed into
// pg::Config, merged app over section, and rejected with the file, the
// line:column and the key path (a conninfo libpq cannot parse included).
#include "config/config.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <string>

namespace spindle::test {
namespace {

using namespace std::chrono_literals;
using config::LoadResult;
using pg::Config;

LoadResult Load(const std::string& text) { return config::LoadString(text, "t.yaml", "/base"); }

TEST(PostgresConfig, SectionIsParsedIntoTheStruct) {
  auto r = Load(
      "listen: {path: /s}\n"
      "postgres:\n"
      "  conninfo: \"host=/run/postgresql dbname=app sslmode=disable\"\n"
      "  host: db.internal\n"
      "  port: 6432\n"
      "  dbname: shop\n"
      "  user: web\n"
      "  password: hunter2\n"
      "  pool_size: 4\n"
      "  max_in_flight: 64\n"
      "  connect_timeout: 1.5\n"
      "  query_timeout: 750ms\n"
      "  pool_wait_timeout: 0\n"
      "  reconnect_min: 10ms\n"
      "  reconnect_max: 3s\n"
      "  reconnect_jitter: 0.25\n"
      "  notification_capacity: 16\n");
  ASSERT_TRUE(r.config) << r.error;
  ASSERT_TRUE(r.config->postgres);
  const Config& c = *r.config->postgres;
  EXPECT_EQ(c.conninfo, "host=/run/postgresql dbname=app sslmode=disable");
  EXPECT_EQ(c.host, "db.internal");
  EXPECT_EQ(c.port, 6432);
  EXPECT_EQ(c.dbname, "shop");
  EXPECT_EQ(c.user, "web");
  EXPECT_EQ(c.password, "hunter2");
  EXPECT_EQ(c.pool_size, 4u);
  EXPECT_EQ(c.max_in_flight, 64u);
  EXPECT_EQ(c.connect_timeout, 1500ms);
  EXPECT_EQ(c.query_timeout, 750ms);
  EXPECT_EQ(c.pool_wait_timeout, 0ms);
  EXPECT_EQ(c.reconnect_min, 10ms);
  EXPECT_EQ(c.reconnect_max, 3s);
  EXPECT_DOUBLE_EQ(c.reconnect_jitter, 0.25);
  EXPECT_EQ(c.notification_capacity, 16u);

  // A URI is a conninfo too; keys left out keep their defaults.
  r = Load("listen: {path: /s}\npostgres: {conninfo: \"postgresql://app@db.internal:5433/app\"}\n");
  ASSERT_TRUE(r.config) << r.error;
  ASSERT_TRUE(r.config->postgres);
  Config expected;
  expected.conninfo = "postgresql://app@db.internal:5433/app";
  EXPECT_EQ(*r.config->postgres, expected);

  // No section: none, and the apps get the defaults, not configured.
  r = Load("listen: {path: /s}\napps:\n  - {name: a, path: /a.so}\n");
  ASSERT_TRUE(r.config) << r.error;
  EXPECT_FALSE(r.config->postgres);
  EXPECT_FALSE(r.config->apps[0].postgres_configured);
  EXPECT_EQ(r.config->apps[0].postgres, Config{});
}

// AppContext::postgres_config(): the top-level section, the app's keys over it.
TEST(PostgresConfig, AppOverridesMergeOverTheTopLevelSection) {
  auto r = Load(
      "listen: {path: /s}\n"
      "postgres: {host: /run/postgresql, dbname: shared, pool_size: 4, query_timeout: 3s}\n"
      "apps:\n"
      "  - {name: plain, path: /a.so}\n"
      "  - name: own\n"
      "    path: /b.so\n"
      "    config: {postgres: {dbname: own, pool_size: 1}, other: 1}\n");
  ASSERT_TRUE(r.config) << r.error;
  const auto& apps = r.config->apps;
  ASSERT_EQ(apps.size(), 2u);
  EXPECT_TRUE(apps[0].postgres_configured);
  EXPECT_EQ(apps[0].postgres, *r.config->postgres);
  EXPECT_TRUE(apps[1].postgres_configured);
  EXPECT_EQ(apps[1].postgres.host, "/run/postgresql");
  EXPECT_EQ(apps[1].postgres.dbname, "own");
  EXPECT_EQ(apps[1].postgres.pool_size, 1u);
  EXPECT_EQ(apps[1].postgres.query_timeout, 3s);
  // The section itself is left as written.
  EXPECT_EQ(r.config->postgres->dbname, "shared");
  EXPECT_EQ(r.config->postgres->pool_size, 4u);
  // The app still sees its whole subtree.
  EXPECT_EQ(apps[1].config["postgres"]["dbname"], "own");
  EXPECT_EQ(apps[1].config["other"], 1);
  // PostgreSQL settings leave the Redis ones alone.
  EXPECT_FALSE(apps[1].redis_configured);

  // An app's own keys with no top-level section: configured, over the defaults.
  r = Load(
      "listen: {path: /s}\n"
      "apps:\n"
      "  - {name: a, path: /a.so, config: {postgres: {port: 5433}}}\n");
  ASSERT_TRUE(r.config) << r.error;
  EXPECT_FALSE(r.config->postgres);
  EXPECT_TRUE(r.config->apps[0].postgres_configured);
  Config expected;
  expected.port = 5433;
  EXPECT_EQ(r.config->apps[0].postgres, expected);
}

TEST(PostgresConfig, UnknownKeyNamesItsPosition) {
  auto r = Load("listen: {path: /s}\npostgres:\n  host: /run/postgresql\n  database: app\n");
  ASSERT_FALSE(r.config);
  ASSERT_TRUE(r.failure);
  EXPECT_EQ(r.failure->key, "postgres.database");
  EXPECT_EQ(r.failure->mark.line, 4);
  EXPECT_EQ(r.failure->mark.column, 3);
  EXPECT_EQ(r.error, "t.yaml:4:3: key 'postgres.database': unknown key");

  // The app's keys are checked at load, with their position.
  r = Load(
      "listen: {path: /s}\n"
      "apps:\n"
      "  - name: a\n"
      "    path: /a.so\n"
      "    config:\n"
      "      postgres:\n"
      "        pool_sise: 2\n");
  ASSERT_FALSE(r.config);
  EXPECT_EQ(r.error, "t.yaml:7:9: key 'apps[0].config.postgres.pool_sise': unknown key");
}

TEST(PostgresConfig, BadValueNamesItsPosition) {
  auto r = Load("listen: {path: /s}\npostgres:\n  host: /run/postgresql\n  pool_size: lots\n");
  ASSERT_FALSE(r.config);
  ASSERT_TRUE(r.failure);
  EXPECT_EQ(r.failure->key, "postgres.pool_size");
  EXPECT_EQ(r.failure->mark.line, 4);
  EXPECT_EQ(r.failure->mark.column, 14);
  EXPECT_EQ(r.error,
            "t.yaml:4:14: key 'postgres.pool_size': expected a non-negative integer, got \"lots\"");

  r = Load("listen: {path: /s}\npostgres:\n  port: 70000\n");
  ASSERT_FALSE(r.config);
  EXPECT_EQ(r.error, "t.yaml:3:9: key 'postgres.port': value 70000 is outside 0..65535");

  r = Load("listen: {path: /s}\npostgres:\n  query_timeout: soon\n");
  ASSERT_FALSE(r.config);
  EXPECT_EQ(r.error, "t.yaml:3:18: key 'postgres.query_timeout': expected a duration like "
                     "250ms, 10s or 2m, got \"soon\"");

  // A rule between two keys blames the second, at its line.
  r = Load("listen: {path: /s}\npostgres:\n  reconnect_min: 2s\n  reconnect_max: 1s\n");
  ASSERT_FALSE(r.config);
  EXPECT_EQ(r.error, "t.yaml:4:18: key 'postgres.reconnect_max': must be >= reconnect_min");

  // In an app's override too, against the section it goes over.
  r = Load(
      "listen: {path: /s}\n"
      "postgres: {reconnect_max: 100ms}\n"
      "apps:\n"
      "  - name: a\n"
      "    path: /a.so\n"
      "    config:\n"
      "      postgres: {reconnect_min: 1s}\n");
  ASSERT_FALSE(r.config);
  EXPECT_EQ(r.error,
            "t.yaml:7:17: key 'apps[0].config.postgres.reconnect_max': must be >= reconnect_min");
}

// libpq parses the conninfo at load (PQconninfoParse): what it cannot parse
// fails the file with its message, not the worker's first query.
TEST(PostgresConfig, ConninfoLibpqCannotParseIsRejected) {
  auto r = Load("listen: {path: /s}\npostgres:\n  conninfo: \"host=x port\"\n");
  ASSERT_FALSE(r.config);
  ASSERT_TRUE(r.failure);
  EXPECT_EQ(r.failure->key, "postgres.conninfo");
  EXPECT_EQ(r.failure->mark.line, 3);
  EXPECT_EQ(r.failure->mark.column, 13);
  EXPECT_EQ(r.error, "t.yaml:3:13: key 'postgres.conninfo': missing \"=\" after \"port\" in "
                     "connection info string");

  r = Load(
      "listen: {path: /s}\n"
      "apps:\n"
      "  - name: a\n"
      "    path: /a.so\n"
      "    config:\n"
      "      postgres:\n"
      "        conninfo: \"dbname=app colour=blue\"\n");
  ASSERT_FALSE(r.config);
  EXPECT_EQ(r.error, "t.yaml:7:19: key 'apps[0].config.postgres.conninfo': invalid connection "
                     "option \"colour\"");
}

}  // namespace
}  // namespace spindle::test
