// Types round-trip through a real PostgreSQL: parameters sent by
// exec()/execute() and rows read back with Field::as<>() (pg_params.hpp,
// pg_result.hpp), NULL as std::optional, and TypeError on a wrong read.
#include <cmath>
#include <limits>

#include "pg_fixture.hpp"

namespace spindle::test {
namespace {

using pg::Bytea;
using pg::Timestamp;

FIBER_TEST_F(PgServerTest, IntegersFloatsAndBoolsRoundTrip) {
  pg::Client pg(PgConfigFor(*server_));
  auto r = pg.exec("SELECT $1::int2, $2::int4, $3::int8, $4::float8, $5::float4, $6::bool, $7::bool",
                   int16_t{-32768}, int32_t{2147483647}, int64_t{-9223372036854775807LL - 1},
                   0.1 + 0.2, 1.5f, true, false);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].get<int16_t>(0), -32768);
  EXPECT_EQ(r[0].get<int32_t>(1), 2147483647);
  EXPECT_EQ(r[0].get<int64_t>(2), std::numeric_limits<int64_t>::min());
  EXPECT_EQ(r[0].get<double>(3), 0.1 + 0.2);  // shortest round-trip text, exact
  EXPECT_EQ(r[0].get<double>(4), 1.5);
  EXPECT_TRUE(r[0].get<bool>(5));
  EXPECT_FALSE(r[0].get<bool>(6));
  // Wider reads of narrower columns.
  EXPECT_EQ(r[0].get<int64_t>(0), -32768);
  EXPECT_EQ(r[0].get<int32_t>(0), -32768);

  auto special = pg.exec("SELECT $1::float8, $2::float8, $3::float8, 12.50::numeric",
                         std::numeric_limits<double>::infinity(),
                         -std::numeric_limits<double>::infinity(), std::nan(""));
  EXPECT_EQ(special[0].get<double>(0), std::numeric_limits<double>::infinity());
  EXPECT_EQ(special[0].get<double>(1), -std::numeric_limits<double>::infinity());
  EXPECT_TRUE(std::isnan(special[0].get<double>(2)));
  EXPECT_EQ(special[0].get<double>(3), 12.5);
  pg.close();
}

FIBER_TEST_F(PgServerTest, TextAndByteaRoundTripBinarySafe) {
  pg::Client pg(PgConfigFor(*server_));
  const std::string unicode = "héllo wörld — 日本語 \"quoted\" 'single' \\ back";
  std::string view_source = "a view, not NUL-terminated: xyz";
  std::string_view view(view_source.data(), view_source.size() - 4);
  Bytea blob{std::string("\0\x01\xff\x80 raw\0", 10)};
  auto r = pg.exec("SELECT $1::text, $2::text, $3::bytea, $4::varchar, length($3::bytea)",
                   unicode, view, blob, "literal");
  EXPECT_EQ(r[0].get<std::string>(0), unicode);
  EXPECT_EQ(r[0].get<std::string>(1), std::string(view));
  EXPECT_EQ(r[0].get<Bytea>(2), blob);
  EXPECT_EQ(r[0].get<std::string_view>(3), "literal");
  EXPECT_EQ(r[0].get<int32_t>(4), 10);

  server_->Exec("CREATE TABLE blobs (id int PRIMARY KEY, b bytea)");
  std::string big(300000, '\0');
  for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>(i * 7 + 3);
  pg.exec("INSERT INTO blobs VALUES ($1, $2)", 1, Bytea{big});
  EXPECT_EQ(pg.exec("SELECT b FROM blobs WHERE id = $1", 1).value<Bytea>().data, big);
  pg.close();
}

FIBER_TEST_F(PgServerTest, TimestamptzRoundTripsWhateverTheSessionTimeZone) {
  pg::Client pg(PgConfigFor(*server_));
  using namespace std::chrono;
  const Timestamp t = sys_days{2024y / 2 / 29} + 23h + 59min + 58s + 123456us;
  EXPECT_EQ(pg.exec("SELECT $1::timestamptz", t).value<Timestamp>(), t);
  // A zone with a half-hour offset and one west of UTC, inside a transaction
  // (SET LOCAL), so the text the server sends carries +05:30 / -08.
  for (const char* zone : {"Asia/Kolkata", "America/Los_Angeles", "UTC"}) {
    auto tx = pg.transaction();
    tx.exec(std::string("SET LOCAL TimeZone = '") + zone + "'");
    auto r = tx.exec("SELECT $1::timestamptz, $1::timestamptz::text", t);
    EXPECT_EQ(r[0].get<Timestamp>(0), t) << zone << " " << r[0].get<std::string>(1);
    tx.commit();
  }
  // timestamp without time zone is read as UTC; the epoch and whole seconds.
  EXPECT_EQ(pg.exec("SELECT '1970-01-01 00:00:00'::timestamp").value<Timestamp>(), Timestamp{});
  EXPECT_EQ(pg.exec("SELECT '2001-09-09 01:46:40+00'::timestamptz").value<Timestamp>(),
            Timestamp{seconds(1000000000)});
  EXPECT_THROW(pg.exec("SELECT 'infinity'::timestamptz").value<Timestamp>(), pg::TypeError);
  pg.close();
}

FIBER_TEST_F(PgServerTest, JsonAndJsonbBecomeNlohmannJson) {
  pg::Client pg(PgConfigFor(*server_));
  const nlohmann::json doc = {{"name", "Ada"}, {"tags", {"a", "b"}}, {"n", 3}, {"ok", true}};
  auto r = pg.exec("SELECT $1::jsonb, $1::json, ($1::jsonb)->'tags'", doc);
  EXPECT_EQ(r[0].get<nlohmann::json>(0), doc);
  EXPECT_EQ(r[0].get<nlohmann::json>(1), doc);
  EXPECT_EQ(r[0].get<nlohmann::json>(2), nlohmann::json({"a", "b"}));
  pg.close();
}

FIBER_TEST_F(PgServerTest, NullIsAnEmptyOptionalBothWays) {
  pg::Client pg(PgConfigFor(*server_));
  std::optional<int64_t> none;
  std::optional<std::string> some = "x";
  auto r = pg.exec("SELECT $1::int8, $2::text, $3::text, NULL::bool", none, some, nullptr);
  EXPECT_EQ(r[0].get<std::optional<int64_t>>(0), std::nullopt);
  EXPECT_EQ(r[0].get<std::optional<std::string>>(1), "x");
  EXPECT_TRUE(r[0][2].is_null());
  EXPECT_EQ(r[0].get<std::optional<bool>>(3), std::nullopt);
  EXPECT_THROW(r[0].get<int64_t>(0), pg::TypeError);  // NULL into a non-optional
  pg.close();
}

FIBER_TEST_F(PgServerTest, WrongReadsThrowTypeErrorNamingTheColumn) {
  pg::Client pg(PgConfigFor(*server_));
  auto r = pg.exec("SELECT 'abc'::text AS word, 5::int8 AS big, 1.5::float8 AS f");
  try {
    (void)r[0].get<int32_t>("word");
    FAIL() << "no TypeError";
  } catch (const pg::TypeError& e) {
    EXPECT_NE(std::string(e.what()).find("'word'"), std::string::npos) << e.what();
    EXPECT_FALSE(e.server().empty());
  }
  EXPECT_THROW(r[0].get<int32_t>("big"), pg::TypeError);  // int8 does not fit int32's contract
  EXPECT_THROW(r[0].get<bool>("f"), pg::TypeError);
  EXPECT_THROW(r[0].get<int64_t>("nope"), pg::TypeError);
  EXPECT_THROW(r[0][7], pg::TypeError);
  EXPECT_THROW(r[1], pg::TypeError);
  EXPECT_EQ(r[0].get<std::string>("big"), "5");  // any column reads as text
  auto [w, b, f] = r[0].as<std::string, int64_t, double>();
  EXPECT_EQ(w, "abc");
  EXPECT_EQ(b, 5);
  EXPECT_EQ(f, 1.5);
  pg.close();
}

FIBER_TEST_F(PgServerTest, StringParametersTakeTheTypeTheServerInfers) {
  pg::Client pg(PgConfigFor(*server_));
  server_->Exec("CREATE TABLE items (id int PRIMARY KEY, name text)");
  // A string from a URL compared with an integer column; an int for an int4.
  EXPECT_EQ(pg.exec("INSERT INTO items VALUES ($1, $2)", std::string("7"), "seven").affected(), 1u);
  EXPECT_EQ(pg.exec("INSERT INTO items VALUES ($1, $2)", 8, "eight").command(), "INSERT 0 1");
  auto r = pg.exec("SELECT id, name FROM items WHERE id >= $1 ORDER BY id", "7");
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r.columns(), 2u);
  EXPECT_EQ(r.column_name(1), "name");
  EXPECT_EQ(r.column_type(0), pg::oid::kInt4);
  std::vector<std::string> names;
  for (const pg::Row& row : r) names.push_back(row.get<std::string>("name"));
  EXPECT_EQ(names, (std::vector<std::string>{"seven", "eight"}));
  EXPECT_EQ(pg.exec("UPDATE items SET name = upper(name)").affected(), 2u);
  // Parameters built at run time.
  std::vector<pg::Param> params(3);
  pg::Encode(params[0], 7);
  pg::Encode(params[1], 8);
  pg::Encode(params[2], 9);
  EXPECT_EQ(pg.exec_params("SELECT count(*) FROM items WHERE id IN ($1, $2, $3)", params)
                .value<int64_t>(),
            2);
  pg.close();
}

}  // namespace
}  // namespace spindle::test
