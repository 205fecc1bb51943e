// Replies and values against a real redis-server: every reply type (nested
// arrays, nil inside arrays), binary-safe keys and values, 1 MiB values, the
// convenience calls, numbers as arguments, and a TCP address. Every test
// closes its client and checks that the client's fibers are gone.
#include <gtest/gtest.h>

#include <random>
#include <string>

#include <spindle/sync.hpp>

#include "redis_fixture.hpp"

namespace spindle::test {
namespace {

using namespace spindle::redis;

using namespace std::chrono_literals;

class RedisReply : public RedisServerTest {};

std::string RandomBytes(size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::string s(n, '\0');
  for (auto& ch : s) ch = static_cast<char>(rng() & 0xff);
  return s;
}

FIBER_TEST_F(RedisReply, EveryReplyType) {
  RedisServer& server = *server_;
  const size_t baseline = FibersAlive();
  Client client(ConfigFor(server));

  Reply r = client.command("SET", "k", "v");
  ASSERT_EQ(r.type(), Reply::Type::kStatus) << r.ToString();
  EXPECT_EQ(r.str(), "OK");

  r = client.command("GET", "k");
  ASSERT_TRUE(r.is_string());
  EXPECT_EQ(r.str(), "v");

  r = client.command("GET", "missing");
  EXPECT_TRUE(r.is_nil());

  r = client.command("INCRBY", "n", 41);
  ASSERT_TRUE(r.is_integer());
  EXPECT_EQ(r.integer(), 41);

  r = client.command("RPUSH", "l", "a", "b", 3);
  EXPECT_EQ(r.integer(), 3);
  r = client.command("LRANGE", "l", 0, -1);
  ASSERT_TRUE(r.is_array());
  ASSERT_EQ(r.size(), 3u);
  EXPECT_EQ(r[0].str(), "a");
  EXPECT_EQ(r[2].str(), "3");

  r = client.command("INCR", "l");  // wrong type: an error reply, not thrown
  ASSERT_TRUE(r.is_error());
  EXPECT_EQ(r.str().rfind("WRONGTYPE", 0), 0u) << r.str();
  EXPECT_THROW((void)r.integer(), ReplyError);

  // Nested arrays and nil inside an array.
  r = client.command("EVAL", "return {1, 'x', {2, 'y'}}", 0);
  ASSERT_TRUE(r.is_array()) << r.ToString();
  EXPECT_EQ(r[0].integer(), 1);
  EXPECT_EQ(r[1].str(), "x");
  ASSERT_TRUE(r[2].is_array());
  EXPECT_EQ(r[2][0].integer(), 2);
  EXPECT_EQ(r[2][1].str(), "y");
  r = client.command("MGET", "k", "missing");
  ASSERT_EQ(r.size(), 2u);
  EXPECT_TRUE(r[1].is_nil());
  EXPECT_EQ(r.array()[0], Reply::String("v"));

  r = client.command("PING");
  EXPECT_TRUE(r.is_status());
  EXPECT_EQ(r.str(), "PONG");

  client.close();
  EXPECT_EQ(FibersAlive(), baseline);
  EXPECT_EQ(client.stats().connections_open, 0u);
  EXPECT_THROW(client.get("k"), Unavailable);
}

FIBER_TEST_F(RedisReply, BinarySafeKeysAndValues) {
  RedisServer& server = *server_;
  Client client(ConfigFor(server));
  std::string all_bytes;
  for (int i = 0; i < 256; ++i) all_bytes.push_back(static_cast<char>(i));
  const std::string key = std::string("bin\0key\r\n", 9);
  const std::string value = std::string("a\0b\r\n$3\r\n", 9) + all_bytes;

  client.set(key, value);
  auto got = client.get(key);
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->size(), value.size());
  EXPECT_EQ(*got, value);
  // The key with a NUL is distinct from its prefix.
  EXPECT_FALSE(client.get("bin").has_value());
  EXPECT_EQ(client.command("STRLEN", key).integer(), static_cast<long long>(value.size()));

  client.hset("h", std::string("f\0", 2), std::string("\0\0\0", 3));
  EXPECT_EQ(client.hget("h", std::string("f\0", 2)), std::string("\0\0\0", 3));
  EXPECT_EQ(client.hget("h", "f"), std::nullopt);
  client.close();
}

FIBER_TEST_F(RedisReply, OneMebibyteValues) {
  RedisServer& server = *server_;
  Client client(ConfigFor(server));
  const std::string big = RandomBytes(1 << 20, 7);
  client.set("big", big);
  auto got = client.get("big");
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->size(), big.size());
  EXPECT_TRUE(*got == big);

  // Several fibers move 1 MiB each at once (writes larger than the socket
  // buffer interleave with other fibers' commands).
  WaitGroup wg;
  int ok = 0;
  for (unsigned i = 0; i < 8; ++i) {
    wg.add();
    spawn([&, i] {
      const std::string v = RandomBytes(1 << 20, 100 + i);
      const std::string k = "big:" + std::to_string(i);
      client.set(k, v);
      client.incr("small");
      if (client.get(k) == v) ++ok;
      wg.done();
    });
  }
  ASSERT_EQ(wg.wait_for(60s), WaitStatus::kOk);
  EXPECT_EQ(ok, 8);
  EXPECT_EQ(client.get("small"), "8");
  client.close();
}

FIBER_TEST_F(RedisReply, ConvenienceCalls) {
  RedisServer& server = *server_;
  Client client(ConfigFor(server));
  EXPECT_EQ(client.get("nope"), std::nullopt);
  client.set("a", "1");
  EXPECT_EQ(client.get("a"), "1");
  EXPECT_TRUE(client.exists("a"));
  EXPECT_EQ(client.incr("a"), 2);
  EXPECT_EQ(client.incrby("a", 10), 12);
  EXPECT_FALSE(client.set_nx("a", "x"));
  EXPECT_TRUE(client.set_nx("b", "x", 60000ms));
  EXPECT_GT(client.ttl("b"), 0);
  client.set("c", "v", 60000ms);
  EXPECT_GT(client.ttl("c"), 0);
  EXPECT_TRUE(client.expire("a", 100s));
  EXPECT_GT(client.ttl("a"), 0);
  EXPECT_EQ(client.mget({"a", "zz", "b"}),
            (std::vector<std::optional<std::string>>{"12", std::nullopt, "x"}));
  EXPECT_EQ(client.del("a"), 1);
  EXPECT_EQ(client.del(std::vector<std::string>{"b", "c", "zz"}), 2);
  EXPECT_FALSE(client.exists("a"));

  EXPECT_TRUE(client.hset("h", "f1", "v1"));
  EXPECT_FALSE(client.hset("h", "f1", "v1b"));
  EXPECT_TRUE(client.hset("h", "f2", "v2"));
  EXPECT_EQ(client.hget("h", "f1"), "v1b");
  auto all = client.hgetall("h");
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(client.hdel("h", "f1"), 1);

  EXPECT_EQ(client.lpush("l", "b"), 1);
  EXPECT_EQ(client.lpush("l", "a"), 2);
  EXPECT_EQ(client.rpush("l", "c"), 3);
  EXPECT_EQ(client.lrange("l", 0, -1), (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(client.lpop("l"), "a");
  EXPECT_EQ(client.publish("nobody-listens", "x"), 0);

  // An error reply to a convenience call throws ReplyError naming the address.
  try {
    (void)client.incr("h");
    ADD_FAILURE() << "no exception";
  } catch (const ReplyError& e) {
    EXPECT_NE(std::string(e.what()).find("WRONGTYPE"), std::string::npos) << e.what();
    EXPECT_EQ(e.address(), server.address());
  }
  const Stats s = client.stats();
  EXPECT_GE(s.error_replies, 1u);
  EXPECT_GE(s.commands, 25u);
  EXPECT_EQ(s.latency.count, s.calls - s.errors);
  client.close();
}

FIBER_TEST_F(RedisReply, TcpAddressAndDatabase) {
  spindle::test::RedisServerOptions opts;
  opts.tcp = true;
  RedisServer server(opts);
  Config c = ConfigFor(server);
  c.address = server.tcp_address();
  c.database = 3;
  Client client(c);
  client.set("k", "tcp");
  EXPECT_EQ(client.get("k"), "tcp");
  // The key landed in database 3, not 0.
  Config c0 = ConfigFor(server);
  Client db0(c0);
  EXPECT_EQ(db0.get("k"), std::nullopt);
  client.close();
  db0.close();
}

}  // namespace
}  // namespace spindle::test
