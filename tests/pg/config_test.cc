// pg::Config: defaults, FromJson through the key table, Validate, the
// server name messages use, and the libpq parameters built from it.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <spindle/pg_config.hpp>

#include "fiber_test.hpp"
#include "pg/conninfo.hpp"

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

// Host names are resolved on the offload pool (never by libpq on the worker
// thread): a name gets a hostaddr; IP literals and socket directories are
// left to libpq; a name that does not resolve is a clear error.
namespace spindle::pg {
namespace {

FIBER_TEST(PgConninfo, HostNamesAreResolvedOffTheWorkerThread) {
  Config c;
  c.conninfo = "host=localhost port=6543 dbname=app";
  impl::ConnParams p = impl::Build(c);
  EXPECT_EQ(impl::ResolveHosts(p), "");
  const std::string addr = p.Get("hostaddr");
  EXPECT_TRUE(addr == "127.0.0.1" || addr == "::1") << addr;
  EXPECT_EQ(p.Get("host"), "localhost");  // kept for TLS and messages

  c.conninfo = "host=/run/postgresql,127.0.0.1";
  p = impl::Build(c);
  EXPECT_EQ(impl::ResolveHosts(p), "");
  EXPECT_EQ(p.Get("hostaddr"), "");  // nothing to resolve

  c.conninfo = "host=no-such-host.invalid";
  p = impl::Build(c);
  EXPECT_NE(impl::ResolveHosts(p).find("no-such-host.invalid"), std::string::npos);

  // Our defaults ride along; the user's own options are kept.
  c.conninfo = "host=/tmp options='-c work_mem=8MB'";
  p = impl::Build(c);
  EXPECT_EQ(p.Get("options"), "-c work_mem=8MB -c DateStyle=ISO");
  EXPECT_EQ(p.Get("fallback_application_name"), "spindled");
}

}  // namespace
}  // namespace spindle::pg
