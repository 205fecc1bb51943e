// pg::Config: defaults, FromJson through the key table, Validate, and the
// server name messages use.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <spindle/pg_config.hpp>

namespace spindle::pg {
namespace {

using namespace std::chrono_literals;

TEST(PgConfig, FromJsonReadsEveryKeyAndKeepsDefaults) {
  Config d = Config::FromJson(nlohmann::json::object());
  EXPECT_EQ(d, Config{});
  Config c = Config::FromJson(nlohmann::json{{"conninfo", "host=/run/postgresql dbname=app"},
                                             {"user", "web"},
                                             {"pool_size", 4},
                                             {"query_timeout", "250ms"},
                                             {"connect_timeout", 3},
                                             {"reconnect_jitter", 0.25}});
  EXPECT_EQ(c.conninfo, "host=/run/postgresql dbname=app");
  EXPECT_EQ(c.user, "web");
  EXPECT_EQ(c.pool_size, 4u);
  EXPECT_EQ(c.query_timeout, 250ms);
  EXPECT_EQ(c.connect_timeout, 3000ms);
  EXPECT_EQ(c.reconnect_jitter, 0.25);
  EXPECT_EQ(c.ServerName(), "/run/postgresql:5432/app");
}

TEST(PgConfig, BadKeysAndValuesNameTheKey) {
  auto message = [](const nlohmann::json& j) {
    try {
      (void)Config::FromJson(j);
    } catch (const std::invalid_argument& e) {
      return std::string(e.what());
    }
    return std::string("(accepted)");
  };
  EXPECT_NE(message({{"pool_sise", 2}}).find("postgres.pool_sise"), std::string::npos);
  EXPECT_NE(message({{"pool_size", 0}}).find("postgres.pool_size"), std::string::npos);
  EXPECT_NE(message({{"query_timeout", "soon"}}).find("postgres.query_timeout"),
            std::string::npos);
  EXPECT_NE(message({{"conninfo", "host=x port"}}).find("postgres.conninfo"), std::string::npos);
  EXPECT_NE(message({{"reconnect_min", "5s"}, {"reconnect_max", "1s"}}).find("reconnect_max"),
            std::string::npos);
}

TEST(PgConfig, ValidateAndServerName) {
  Config c;
  EXPECT_NO_THROW(c.Validate());
  c.pool_size = 0;
  EXPECT_THROW(c.Validate(), std::invalid_argument);
  c = Config{};
  c.conninfo = "postgresql://app@db.internal:6543/shop";
  EXPECT_EQ(c.ServerName(), "db.internal:6543/shop");
  c.host = "10.0.0.5";
  c.port = 5433;
  c.dbname = "other";
  c.password = "secret";
  EXPECT_EQ(c.ServerName(), "10.0.0.5:5433/other");
  EXPECT_EQ(c.ServerName().find("secret"), std::string::npos);
  c.conninfo = "'unterminated";
  EXPECT_THROW(c.Validate(), std::invalid_argument);
}

}  // namespace
}  // namespace spindle::pg
