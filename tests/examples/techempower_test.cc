// TechEmpower example end to end: HTTP client -> nginx (the module) ->
// spindled (two workers) -> examples/techempower -> a real redis-server and
// a real PostgreSQL 15, both filled by examples/techempower/seed for each
// test. Every route is checked against TechEmpower's rules on both
// databases: the exact bodies and headers (Server, an IMF-fixdate Date that
// moves on, the exact Content-Type, Content-Length), the shape and range of
// World rows and that they are the database's, the `queries` clamping
// (missing, 0, -1, foo, 1, 20, 500, 501, 1000 and hostile spellings),
// updates read back from the database (and counted: one statement per row
// plus one write), the fortunes page byte for byte (and in TechEmpower's
// verifier's normal form), escaping of a hostile fortune, the seed's
// idempotence, unmounted databases (404) and a stopped database (503).
#include <gtest/gtest.h>
#include <hiredis.h>
#include <nlohmann/json.hpp>

#include <spawn.h>
#include <sys/wait.h>

#include <chrono>
#include <ctime>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "daemon_harness.hpp"
#include "examples_stack.hpp"
#include "http_client.hpp"
#include "nginx_harness.hpp"
#include "pg_server.hpp"
#include "redis_server.hpp"

extern char** environ;

namespace spindle::test {
namespace {

using namespace std::chrono_literals;

// TechEmpower's fortunes page as this app renders it: the template's one
// line, messages escaped by Mustache (& < > " ' as &amp; &lt; &gt; &quot;
// &#39;), rows sorted by message in byte order.
const std::string kFortunesPage =
    "<!DOCTYPE html><html><head><title>Fortunes</title></head><body><table>"
    "<tr><th>id</th><th>message</th></tr>"
    "<tr><td>11</td><td>&lt;script&gt;alert(&quot;This should not be displayed in a browser "
    "alert box.&quot;);&lt;/script&gt;</td></tr>"
    "<tr><td>4</td><td>A bad random number generator: 1, 1, 1, 1, 1, 4.33e+67, 1, 1, 1</td></tr>"
    "<tr><td>5</td><td>A computer program does what you tell it to do, not what you want it to "
    "do.</td></tr>"
    "<tr><td>2</td><td>A computer scientist is someone who fixes things that aren&#39;t "
    "broken.</td></tr>"
    "<tr><td>8</td><td>A list is only as strong as its weakest link. \u2014 Donald Knuth</td></tr>"
    "<tr><td>0</td><td>Additional fortune added at request time.</td></tr>"
    "<tr><td>3</td><td>After enough decimal places, nobody gives a damn.</td></tr>"
    "<tr><td>7</td><td>Any program that runs right is obsolete.</td></tr>"
    "<tr><td>10</td><td>Computers make very fast, very accurate mistakes.</td></tr>"
    "<tr><td>6</td><td>Emacs is a nice operating system, but I prefer UNIX. \u2014 Tom "
    "Christaensen</td></tr>"
    "<tr><td>9</td><td>Feature: A bug with seniority.</td></tr>"
    "<tr><td>1</td><td>fortune: No such file or directory</td></tr>"
    "<tr><td>12</td><td>\u30d5\u30ec\u30fc\u30e0\u30ef\u30fc\u30af\u306e\u30d9\u30f3\u30c1\u30de"
    "\u30fc\u30af</td></tr>"
    "</table></body></html>";

// What TechEmpower's verifier (toolset/test_types/fortune/fortune_html_parser.py)
// compares a page with after normalising it: a newline after <html>, </head>,
// <table> and each </tr>, the doctype lowercased, &#39; as &apos;.
const std::string kVerifierForm =
    "<!doctype html><html>\n"
    "<head><title>Fortunes</title></head>\n"
    "<body><table>\n"
    "<tr><th>id</th><th>message</th></tr>\n"
    "<tr><td>11</td><td>&lt;script&gt;alert(&quot;This should not be displayed in a browser "
    "alert box.&quot;);&lt;/script&gt;</td></tr>\n"
    "<tr><td>4</td><td>A bad random number generator: 1, 1, 1, 1, 1, 4.33e+67, 1, 1, 1</td></tr>\n"
    "<tr><td>5</td><td>A computer program does what you tell it to do, not what you want it to "
    "do.</td></tr>\n"
    "<tr><td>2</td><td>A computer scientist is someone who fixes things that aren&apos;t "
    "broken.</td></tr>\n"
    "<tr><td>8</td><td>A list is only as strong as its weakest link. \u2014 Donald "
    "Knuth</td></tr>\n"
    "<tr><td>0</td><td>Additional fortune added at request time.</td></tr>\n"
    "<tr><td>3</td><td>After enough decimal places, nobody gives a damn.</td></tr>\n"
    "<tr><td>7</td><td>Any program that runs right is obsolete.</td></tr>\n"
    "<tr><td>10</td><td>Computers make very fast, very accurate mistakes.</td></tr>\n"
    "<tr><td>6</td><td>Emacs is a nice operating system, but I prefer UNIX. \u2014 Tom "
    "Christaensen</td></tr>\n"
    "<tr><td>9</td><td>Feature: A bug with seniority.</td></tr>\n"
    "<tr><td>1</td><td>fortune: No such file or directory</td></tr>\n"
    "<tr><td>12</td><td>\u30d5\u30ec\u30fc\u30e0\u30ef\u30fc\u30af\u306e\u30d9\u30f3\u30c1\u30de"
    "\u30fc\u30af</td></tr>\n"
    "</table></body></html>";

std::string ReplaceAll(std::string s, const std::string& from, const std::string& to) {
  for (size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size())) {
    s.replace(at, from.size(), to);
  }
  return s;
}

// The verifier's normal form of a page this app renders (no other markup).
std::string VerifierNormalForm(std::string page) {
  page = ReplaceAll(page, "<!DOCTYPE html>", "<!doctype html>");
  page = ReplaceAll(page, "&#39;", "&apos;");
  for (const char* tag : {"<html>", "</head>", "<table>", "</tr>"}) {
    page = ReplaceAll(page, tag, std::string(tag) + "\n");
  }
  return page;
}

// Runs examples/techempower/seed with `args`; its exit status (bounded: 60 s).
int RunSeed(std::vector<std::string> args) {
  args.insert(args.begin(), TECHEMPOWER_SEED);
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = 0;
  if (posix_spawn(&pid, argv[0], nullptr, nullptr, argv.data(), environ) != 0) {
    throw std::runtime_error("cannot run " + args[0]);
  }
  int status = 0;
  for (auto give_up = std::chrono::steady_clock::now() + 60s;
       waitpid(pid, &status, WNOHANG) == 0;) {
    if (std::chrono::steady_clock::now() > give_up) {
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      throw std::runtime_error("seed did not finish in 60 s");
    }
    std::this_thread::sleep_for(10ms);
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// One command on the test's redis-server (synchronous hiredis): the reply's
// strings (an array's elements, or the one string; nullopt for nil).
std::vector<std::optional<std::string>> RedisCall(const RedisServer& redis,
                                                  const std::vector<std::string>& args) {
  redisContext* c = ConnectRedis(redis, 10);
  std::vector<const char*> argv;
  std::vector<size_t> lens;
  for (const auto& a : args) {
    argv.push_back(a.data());
    lens.push_back(a.size());
  }
  auto* r = static_cast<redisReply*>(
      redisCommandArgv(c, static_cast<int>(args.size()), argv.data(), lens.data()));
  std::vector<std::optional<std::string>> out;
  std::string err;
  auto one = [](const redisReply* e) -> std::optional<std::string> {
    if (e->type == REDIS_REPLY_STRING || e->type == REDIS_REPLY_STATUS) {
      return std::string(e->str, e->len);
    }
    if (e->type == REDIS_REPLY_INTEGER) return std::to_string(e->integer);
    return std::nullopt;
  };
  if (r == nullptr) {
    err = c->errstr;
  } else if (r->type == REDIS_REPLY_ERROR) {
    err = std::string(r->str, r->len);
  } else if (r->type == REDIS_REPLY_ARRAY) {
    for (size_t i = 0; i < r->elements; ++i) out.push_back(one(r->element[i]));
  } else {
    out.push_back(one(r));
  }
  if (r) freeReplyObject(r);
  redisFree(c);
  if (!err.empty()) throw std::runtime_error("redis " + args.at(0) + ": " + err);
  return out;
}

// IMF-fixdate (RFC 7231 7.1.1.1): "Sun, 06 Nov 1994 08:49:37 GMT", parsed.
std::optional<std::time_t> ParseImfFixdate(const std::string& s) {
  if (s.size() != 29) return std::nullopt;
  std::tm tm{};
  const char* end = strptime(s.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm);
  if (end == nullptr || *end != '\0') return std::nullopt;
  // strptime accepts one-digit fields and any case: check the fixed layout.
  static const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                  "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  std::time_t t = timegm(&tm);
  std::tm check{};
  gmtime_r(&t, &check);
  char buf[40];
  std::snprintf(buf, sizeof(buf), "%s, %02d %s %04d %02d:%02d:%02d GMT", kDays[check.tm_wday],
                check.tm_mday, kMonths[check.tm_mon], check.tm_year + 1900, check.tm_hour,
                check.tm_min, check.tm_sec);
  if (s != buf) return std::nullopt;
  return t;
}

// The headers every TechEmpower response needs, with this Content-Type.
void ExpectTfbHeaders(const HttpResponse& r, const std::string& content_type) {
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.Header("Content-Type"), content_type);
  ASSERT_TRUE(r.Header("Content-Length").has_value()) << "no Content-Length";
  EXPECT_EQ(*r.Header("Content-Length"), std::to_string(r.body.size()));
  EXPECT_FALSE(r.chunked);
  ASSERT_TRUE(r.Header("Server").has_value()) << "no Server header";
  EXPECT_FALSE(r.Header("Server")->empty());
  EXPECT_EQ(r.HeaderCount("Server"), 1u);
  ASSERT_TRUE(r.Header("Date").has_value()) << "no Date header";
  EXPECT_EQ(r.HeaderCount("Date"), 1u);
  std::optional<std::time_t> date = ParseImfFixdate(*r.Header("Date"));
  ASSERT_TRUE(date.has_value()) << "not an IMF-fixdate: '" << *r.Header("Date") << "'";
  long long skew = static_cast<long long>(*date) - static_cast<long long>(std::time(nullptr));
  EXPECT_LE(std::llabs(skew), 5) << *r.Header("Date");
}

struct World {
  int id;
  int random_number;
};

// A JSON World object exactly as the rules want it: the keys id and
// randomNumber only, both integers in 1..10000.
World CheckWorld(const nlohmann::json& j) {
  EXPECT_TRUE(j.is_object()) << j.dump();
  if (!j.is_object()) return {0, 0};
  EXPECT_EQ(j.size(), 2u) << j.dump();
  EXPECT_TRUE(j.contains("id") && j["id"].is_number_integer()) << j.dump();
  EXPECT_TRUE(j.contains("randomNumber") && j["randomNumber"].is_number_integer()) << j.dump();
  World w{j.value("id", 0), j.value("randomNumber", 0)};
  EXPECT_GE(w.id, 1);
  EXPECT_LE(w.id, 10000);
  EXPECT_GE(w.random_number, 1);
  EXPECT_LE(w.random_number, 10000);
  return w;
}

class TfbStack {
 public:
  TfbStack() {
    redis_ = std::make_unique<RedisServer>();
    pg_ = std::make_unique<PgServer>();
    Seed();
    std::string redis_cfg = "{address: \"" + redis_->address() +
                            "\", reconnect_max: 200ms, pool_wait_timeout: 200ms}";
    std::string pg_cfg = "{conninfo: \"" + pg_->conninfo() +
                         "\", reconnect_max: 200ms, pool_wait_timeout: 500ms}";
    DaemonOptions d;
    d.expect_workers = 2;
    d.yaml = "workers: 2\nlog:\n  level: info\n"
             "admin:\n  path: ${DIR}/admin.sock\n  mode: \"0666\"\n"
             "apps:\n"
             "  - name: tfb\n    path: " TECHEMPOWER_APP "\n    mount: /tfb\n"
             "    config:\n      templates: " TECHEMPOWER_TEMPLATES "\n"
             "      redis: " + redis_cfg + "\n      postgres: " + pg_cfg + "\n"
             "  - name: tfbredis\n    path: " TECHEMPOWER_APP "\n    mount: /tfbredis\n"
             "    config:\n      templates: " TECHEMPOWER_TEMPLATES "\n"
             "      redis: " + redis_cfg + "\n"
             "  - name: tfbpg\n    path: " TECHEMPOWER_APP "\n    mount: /tfbpg\n"
             "    config:\n      templates: " TECHEMPOWER_TEMPLATES "\n"
             "      postgres: " + pg_cfg + "\n";
    daemon_ = std::make_unique<DaemonHarness>(d);
    NginxOptions n;
    n.vars["SOCK"] = daemon_->socket_path();
    n.vars["ADMIN"] = daemon_->dir() + "/admin.sock";
    n.http = "upstream spindled { server unix:${SOCK}; keepalive 64; }";
    n.server = R"(
      location / { spindle_pass spindled; }
      location = /metrics { spindle_pass unix:${ADMIN}; }
    )";
    nginx_ = std::make_unique<NginxHarness>(n);
  }
  ~TfbStack() {
    nginx_.reset();
    daemon_.reset();
    pg_.reset();
    redis_.reset();
  }

  void Seed() const {
    ASSERT_EQ(RunSeed({"--postgres", pg_->conninfo(), "--redis", redis_->address()}), 0);
  }
  uint16_t port() const { return nginx_->port(); }
  RedisServer& redis() { return *redis_; }
  PgServer& pg() { return *pg_; }
  DaemonHarness& daemon() { return *daemon_; }

  // The database's randomNumber of each id (one round trip).
  std::map<int, int> Numbers(const std::string& db, const std::vector<int>& ids) const {
    std::map<int, int> out;
    if (ids.empty()) return out;
    if (db == "redis") {
      std::vector<std::string> args = {"MGET"};
      for (int id : ids) args.push_back("world:" + std::to_string(id));
      auto values = RedisCall(*redis_, args);
      for (size_t i = 0; i < ids.size(); ++i) {
        if (values.at(i)) out[ids[i]] = std::stoi(*values[i]);
      }
      return out;
    }
    std::string list;
    for (int id : ids) list += (list.empty() ? "" : ",") + std::to_string(id);
    std::string text = pg_->Query(
        "SELECT string_agg(id || ':' || randomnumber, ',' ORDER BY id) FROM world "
        "WHERE id = ANY('{" + list + "}'::int[])");
    std::stringstream in(text);
    std::string item;
    while (std::getline(in, item, ',')) {
      size_t colon = item.find(':');
      out[std::stoi(item.substr(0, colon))] = std::stoi(item.substr(colon + 1));
    }
    return out;
  }
  std::map<int, int> AllNumbers(const std::string& db) const {
    std::vector<int> ids;
    for (int id = 1; id <= 10000; ++id) ids.push_back(id);
    return Numbers(db, ids);
  }

  // A counter from spindled's /metrics (summed over workers).
  long long Metric(const std::string& name) const {
    std::string body = HttpGet(port(), "/metrics").body;
    std::stringstream in(body);
    std::string line;
    while (std::getline(in, line)) {
      if (line.compare(0, name.size() + 1, name + " ") == 0) {
        return std::stoll(line.substr(name.size() + 1));
      }
    }
    return -1;
  }

 private:
  std::unique_ptr<RedisServer> redis_;
  std::unique_ptr<PgServer> pg_;
  std::unique_ptr<DaemonHarness> daemon_;
  std::unique_ptr<NginxHarness> nginx_;
};

class TechEmpower : public ::testing::Test {
 protected:
  void SetUp() override { stack_ = std::make_unique<TfbStack>(); }
  void TearDown() override { stack_.reset(); }
  uint16_t port() const { return stack_->port(); }
  std::unique_ptr<TfbStack> stack_;
};

// The database tests run once on each database.
class TechEmpowerDb : public TechEmpower, public ::testing::WithParamInterface<std::string> {
 protected:
  std::string Url(const std::string& test) const { return "/tfb/" + GetParam() + "/" + test; }

  // GET url; checks the headers and that the body is a JSON array of
  // `expected` World objects; returns them.
  std::vector<World> GetWorlds(const std::string& url, size_t expected) {
    HttpResponse r = HttpGet(port(), url);
    ExpectTfbHeaders(r, "application/json");
    nlohmann::json j = nlohmann::json::parse(r.body, nullptr, false);
    EXPECT_TRUE(j.is_array()) << url << ": " << r.body.substr(0, 200);
    std::vector<World> worlds;
    if (!j.is_array()) return worlds;
    EXPECT_EQ(j.size(), expected) << url;
    for (const auto& item : j) worlds.push_back(CheckWorld(item));
    return worlds;
  }
  // Every world is the database's row.
  void ExpectInDatabase(const std::vector<World>& worlds, const std::string& what) {
    std::vector<int> ids;
    for (const World& w : worlds) ids.push_back(w.id);
    std::map<int, int> db = stack_->Numbers(GetParam(), ids);
    for (const World& w : worlds) {
      ASSERT_TRUE(db.count(w.id)) << what << ": id " << w.id << " not in the database";
      EXPECT_EQ(db[w.id], w.random_number) << what << ": id " << w.id;
    }
  }
};

// What each `queries` value must give: missing, not an integer or < 1 -> 1;
// > 500 -> 500. The hostile spellings are not integers.
const std::vector<std::pair<std::string, size_t>> kQueryCases = {
    {"", 1},  // no parameter at all
    {"?queries=0", 1},
    {"?queries=-1", 1},
    {"?queries=foo", 1},
    {"?queries=1", 1},
    {"?queries=20", 20},
    {"?queries=500", 500},
    {"?queries=501", 500},
    {"?queries=1000", 500},
    {"?queries=", 1},
    {"?queries", 1},
    {"?queries=20abc", 1},
    {"?queries=%2B5", 1},  // "+5"
    {"?queries=%205", 1},  // " 5"
    {"?queries=1e3", 1},
    {"?queries=5.0", 1},
    {"?queries=-0", 1},
    {"?queries=99999999999999999999999", 500},
    {"?queries=-99999999999999999999999", 1},
    {"?queries=0007", 7},
    {"?queries=%00", 1},
    {"?other=9&queries=3", 3},
    {"?queries=5&queries=7", 5},  // the first one counts
};

TEST_F(TechEmpower, PlaintextIsExactlyHelloWorld) {
  HttpResponse r = HttpGet(port(), "/tfb/plaintext");
  ExpectTfbHeaders(r, "text/plain");
  EXPECT_EQ(r.body, "Hello, World!");
  // HEAD: the same head, no body.
  HttpClient c(port());
  HttpRequest head;
  head.method = "HEAD";
  head.target = "/tfb/plaintext";
  c.SendRequest(head);
  HttpResponse h = c.ReadResponse(true);
  EXPECT_EQ(h.status, 200);
  EXPECT_EQ(h.Header("Content-Length"), "13");
  EXPECT_EQ(h.body, "");
}

TEST_F(TechEmpower, JsonIsExactlyTheMessageObject) {
  HttpResponse r = HttpGet(port(), "/tfb/json");
  ExpectTfbHeaders(r, "application/json");
  EXPECT_EQ(r.body, R"({"message":"Hello, World!"})");
}

// The rules forbid a cached Date: two requests more than a second apart
// carry different ones (nginx refreshes its cached time every loop).
TEST_F(TechEmpower, DateMovesOn) {
  HttpResponse a = HttpGet(port(), "/tfb/json");
  std::this_thread::sleep_for(2100ms);
  HttpResponse b = HttpGet(port(), "/tfb/json");
  ASSERT_TRUE(a.Header("Date") && b.Header("Date"));
  auto ta = ParseImfFixdate(*a.Header("Date"));
  auto tb = ParseImfFixdate(*b.Header("Date"));
  ASSERT_TRUE(ta && tb);
  EXPECT_GE(*tb - *ta, 2) << *a.Header("Date") << " then " << *b.Header("Date");
}

TEST_F(TechEmpower, OnlyGetAndHead) {
  HttpRequest post;
  post.method = "POST";
  post.target = "/tfb/pg/updates?queries=5";
  post.send_content_length_zero = true;
  EXPECT_EQ(HttpSend(port(), post).status, 405);
  EXPECT_EQ(HttpGet(port(), "/tfb/pg/nothing").status, 404);
  EXPECT_EQ(HttpGet(port(), "/tfb/mysql/db").status, 404);
}

TEST_F(TechEmpower, ADatabaseWithoutItsSectionIsNotMounted) {
  EXPECT_EQ(HttpGet(port(), "/tfbredis/pg/db").status, 404);
  EXPECT_EQ(HttpGet(port(), "/tfbredis/pg/fortunes").status, 404);
  EXPECT_EQ(HttpGet(port(), "/tfbpg/redis/db").status, 404);
  EXPECT_EQ(HttpGet(port(), "/tfbpg/redis/updates").status, 404);
  EXPECT_EQ(HttpGet(port(), "/tfbredis/redis/db").status, 200);
  EXPECT_EQ(HttpGet(port(), "/tfbpg/pg/db").status, 200);
  EXPECT_EQ(HttpGet(port(), "/tfbpg/plaintext").body, "Hello, World!");
  EXPECT_TRUE(
      stack_->daemon().WaitForLog("no postgres section: routes '/tfbredis/pg/*' not mounted"))
      << stack_->daemon().Log();
  EXPECT_TRUE(stack_->daemon().WaitForLog("no redis section: routes '/tfbpg/redis/*' not mounted"));
  EXPECT_EQ(stack_->daemon().CountLog("no redis section: routes '/tfb/redis/*'"), 0u);
  EXPECT_EQ(stack_->daemon().CountLog("no postgres section: routes '/tfb/pg/*'"), 0u);
}

// Running the seed again keeps the World rows' numbers and puts the Fortune
// rows back to exactly TechEmpower's 12 (a hostile extra row goes).
TEST_F(TechEmpower, SeedIsIdempotent) {
  auto pg_before = stack_->AllNumbers("pg");
  auto redis_before = stack_->AllNumbers("redis");
  ASSERT_EQ(pg_before.size(), 10000u);
  ASSERT_EQ(redis_before.size(), 10000u);
  for (const auto& m : {pg_before, redis_before}) {
    for (const auto& [id, n] : m) {
      ASSERT_TRUE(n >= 1 && n <= 10000) << "id " << id << ": " << n;
    }
  }
  stack_->pg().Exec("INSERT INTO fortune VALUES (13, 'extra'); UPDATE fortune SET message = 'x' "
                    "WHERE id = 3; DELETE FROM world WHERE id = 77; "
                    "INSERT INTO world VALUES (10001, 5)");
  RedisCall(stack_->redis(), {"HSET", "fortune", "13", "extra", "3", "x"});
  stack_->Seed();
  auto pg_after = stack_->AllNumbers("pg");
  pg_before.erase(77);  // refilled with a new random number
  pg_after.erase(77);
  EXPECT_EQ(pg_after, pg_before);
  EXPECT_EQ(stack_->AllNumbers("redis"), redis_before);
  EXPECT_EQ(stack_->pg().Query("SELECT count(*) FROM world"), "10000");
  EXPECT_EQ(stack_->pg().Query("SELECT count(*) FROM world WHERE id BETWEEN 1 AND 10000"),
            "10000");
  EXPECT_EQ(stack_->pg().Query("SELECT count(*) FROM fortune"), "12");
  EXPECT_EQ(RedisCall(stack_->redis(), {"HLEN", "fortune"}).at(0), "12");
  for (const char* db : {"redis", "pg"}) {
    EXPECT_EQ(HttpGet(port(), std::string("/tfb/") + db + "/fortunes").body, kFortunesPage) << db;
  }
}

TEST_P(TechEmpowerDb, DbIsOneRandomRowOfTheDatabase) {
  std::set<int> ids;
  for (int i = 0; i < 30; ++i) {
    HttpResponse r = HttpGet(port(), Url("db"));
    ExpectTfbHeaders(r, "application/json");
    nlohmann::json j = nlohmann::json::parse(r.body, nullptr, false);
    ASSERT_TRUE(j.is_object()) << r.body;  // an object, not an array of one
    World w = CheckWorld(j);
    ExpectInDatabase({w}, "db");
    ids.insert(w.id);
  }
  EXPECT_GE(ids.size(), 25u) << "30 random ids out of 10000 should hardly repeat";
}

TEST_P(TechEmpowerDb, QueriesClampsItsParameterAndReadsTheDatabase) {
  for (const auto& [query, expected] : kQueryCases) {
    SCOPED_TRACE(query);
    std::vector<World> worlds = GetWorlds(Url("queries") + query, expected);
    ExpectInDatabase(worlds, query);
  }
}

// Each response's rows are in the database afterwards with their new
// numbers; the ids of one response are distinct (so that this can hold); a
// 500-row update changed nearly every row; and it took one statement per
// row read plus one write.
TEST_P(TechEmpowerDb, UpdatesWriteTheNewNumbers) {
  const std::string counter =
      GetParam() == "pg" ? "spindle_pg_queries_total" : "spindle_redis_commands_total";
  for (const auto& [query, expected] : kQueryCases) {
    SCOPED_TRACE(query);
    auto before = stack_->AllNumbers(GetParam());
    long long sent_before = stack_->Metric(counter);
    std::vector<World> worlds = GetWorlds(Url("updates") + query, expected);
    std::set<int> ids;
    for (const World& w : worlds) ids.insert(w.id);
    EXPECT_EQ(ids.size(), worlds.size()) << "repeated ids";
    ExpectInDatabase(worlds, query);
    size_t changed = 0;
    for (const World& w : worlds) changed += before.at(w.id) != w.random_number;
    if (expected == 500) {
      EXPECT_GE(changed, 490u);  // 1 in 10000 draws its old number
    }
    auto after = stack_->AllNumbers(GetParam());
    for (const World& w : worlds) before[w.id] = w.random_number;
    EXPECT_EQ(after, before) << "rows outside the response changed";
    // The counters are published by each worker; wait until this one's are.
    long long sent = 0;
    for (auto give_up = std::chrono::steady_clock::now() + 5s;
         std::chrono::steady_clock::now() < give_up;) {
      sent = stack_->Metric(counter) - sent_before;
      if (sent >= static_cast<long long>(expected) + 1) break;
      std::this_thread::sleep_for(20ms);
    }
    EXPECT_EQ(sent, static_cast<long long>(expected) + 1) << counter;
  }
}

// Concurrent updates of overlapping rows (16 clients, 200 rows each out of
// 10,000, over both workers). On PostgreSQL a batch (one implicit
// transaction) holding two requests' updates and another connection's batch
// could each wait for rows the other locked: with the updates simply
// pipelined this test saw 0 to 7 deadlocks a run (1 s each), 500s and 5 s
// query timeouts. With each update between Syncs of its own
// (pg::Client::alone()) there are none (the server's count stays 0). Every request must succeed, and every row
// written end up holding a number that one of the responses gave it.
TEST_P(TechEmpowerDb, ConcurrentOverlappingUpdatesAllSucceed) {
  constexpr int kClients = 16;
  constexpr int kRounds = 3;
  std::vector<std::vector<World>> written(kClients * kRounds);
  std::vector<int> statuses(kClients * kRounds, 0);
  std::vector<std::thread> threads;
  for (int c = 0; c < kClients; ++c) {
    threads.emplace_back([&, c] {
      for (int i = 0; i < kRounds; ++i) {
        HttpResponse r = HttpGet(port(), Url("updates?queries=200"));
        statuses[c * kRounds + i] = r.status;
        nlohmann::json j = nlohmann::json::parse(r.body, nullptr, false);
        if (!j.is_array()) continue;
        for (const auto& item : j) {
          written[c * kRounds + i].push_back({item.value("id", 0), item.value("randomNumber", 0)});
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  std::map<int, std::set<int>> candidates;  // id -> every number a response gave it
  for (int k = 0; k < kClients * kRounds; ++k) {
    EXPECT_EQ(statuses[k], 200) << "request " << k;
    EXPECT_EQ(written[k].size(), 200u) << "request " << k;
    for (const World& w : written[k]) candidates[w.id].insert(w.random_number);
  }
  std::vector<int> ids;
  for (const auto& [id, numbers] : candidates) ids.push_back(id);
  std::map<int, int> db = stack_->Numbers(GetParam(), ids);
  for (const auto& [id, numbers] : candidates) {
    EXPECT_TRUE(numbers.count(db[id])) << "id " << id << " holds " << db[id]
                                       << ", which no response wrote";
  }
  if (GetParam() == "pg") {
    EXPECT_EQ(stack_->pg().Query("SELECT sum(deadlocks) FROM pg_stat_database"), "0");
  }
}

// Clients that leave in the middle of 500-row requests: nginx aborts them,
// the handler's fiber is cancelled and cancels the fibers it spawned (on
// PostgreSQL) before it unwinds. Nothing crashes, no handler fails (500),
// no spawned fiber lets an exception escape, and requests are served again
// on both workers. (Statements already sent still run and are answered
// into the void: right after the burst a 500-row request can wait longer
// than pool_wait_timeout for pipeline room and get a 503, so the test
// waits for ten 200s in a row.)
TEST_P(TechEmpowerDb, ClientsThatLeaveMidRequestLeaveNoTrace) {
  for (int i = 0; i < 40; ++i) {
    HttpClient c(port());
    HttpRequest req;
    req.target = Url(i % 2 ? "queries?queries=500" : "updates?queries=500");
    c.SendRequest(req);
    if (i % 4 >= 2) std::this_thread::sleep_for(1ms);
    c.Close();
  }
  int ok = 0;
  for (auto give_up = std::chrono::steady_clock::now() + 15s;
       ok < 10 && std::chrono::steady_clock::now() < give_up;) {
    HttpResponse r = HttpGet(port(), Url("queries?queries=500"));
    ok = r.status == 200 ? ok + 1 : 0;
    if (r.status == 200) {
      EXPECT_EQ(nlohmann::json::parse(r.body, nullptr, false).size(), 500u);
    } else {
      EXPECT_EQ(r.status, 503) << r.body;
      std::this_thread::sleep_for(50ms);
    }
  }
  EXPECT_EQ(ok, 10);
  // Some of them did reach a handler and were cancelled there (recorded
  // as 499, as nginx does).
  long long cancelled = 0;
  for (auto give_up = std::chrono::steady_clock::now() + 5s;
       cancelled == 0 && std::chrono::steady_clock::now() < give_up;) {
    std::stringstream in(HttpGet(port(), "/metrics").body);
    std::string line;
    while (std::getline(in, line)) {
      if (line.rfind("spindle_requests_total{", 0) == 0 &&
          line.find("route=\"/tfb/" + GetParam() + "/") != std::string::npos &&
          line.find("code=\"499\"") != std::string::npos) {
        cancelled += std::stoll(line.substr(line.rfind(' ') + 1));
      }
    }
    if (cancelled == 0) std::this_thread::sleep_for(50ms);
  }
  EXPECT_GT(cancelled, 0) << "no request was cancelled in a handler";
  EXPECT_TRUE(stack_->daemon().running());
  for (const char* test : {"queries", "updates"}) {
    EXPECT_EQ(stack_->daemon().CountLog("route '" + Url(test) + "' failed"), 0u)
        << stack_->daemon().Log();
  }
  EXPECT_EQ(stack_->daemon().CountLog("tfb query"), 0u) << stack_->daemon().Log();
}

TEST_P(TechEmpowerDb, FortunesIsTechEmpowersPageByteForByte) {
  for (int i = 0; i < 3; ++i) {  // the request-time fortune is added every time, never stored
    HttpResponse r = HttpGet(port(), Url("fortunes"));
    ExpectTfbHeaders(r, "text/html; charset=utf-8");
    EXPECT_EQ(r.body, kFortunesPage);
    EXPECT_EQ(VerifierNormalForm(r.body), kVerifierForm);
  }
  EXPECT_EQ(stack_->pg().Query("SELECT count(*) FROM fortune"), "12");
  EXPECT_EQ(RedisCall(stack_->redis(), {"HLEN", "fortune"}).at(0), "12");
}

// A fortune full of markup is escaped and sorted by its raw bytes ("<b>"
// before "<script>"); an empty message sorts first.
TEST_P(TechEmpowerDb, FortunesEscapesAHostileRow) {
  const std::string hostile = "<b onclick=\"x('&amp;')\">\xc3\xa9</b>";
  if (GetParam() == "pg") {
    stack_->pg().Exec("INSERT INTO fortune VALUES (13, $$" + hostile + "$$), (14, '')");
  } else {
    RedisCall(stack_->redis(), {"HSET", "fortune", "13", hostile, "14", ""});
  }
  HttpResponse r = HttpGet(port(), Url("fortunes"));
  ExpectTfbHeaders(r, "text/html; charset=utf-8");
  const std::string header = "<tr><th>id</th><th>message</th></tr>";
  std::string expected = kFortunesPage;
  expected.insert(expected.find(header) + header.size(),
                  "<tr><td>14</td><td></td></tr>"
                  "<tr><td>13</td><td>&lt;b onclick=&quot;x(&#39;&amp;amp;&#39;)&quot;&gt;"
                  "\xc3\xa9&lt;/b&gt;</td></tr>");
  EXPECT_EQ(r.body, expected);
}

// A stopped database: its routes answer 503 with Retry-After (the other
// database and the static tests go on), then recover.
TEST_P(TechEmpowerDb, AStoppedDatabaseIs503ThenRecovers) {
  if (GetParam() == "pg") {
    stack_->pg().Stop();
  } else {
    stack_->redis().Stop();
  }
  for (const char* test : {"db", "queries?queries=3", "updates?queries=3", "fortunes"}) {
    HttpResponse r = HttpGet(port(), Url(test));
    EXPECT_EQ(r.status, 503) << test << ": " << r.body;
    EXPECT_EQ(r.Header("Retry-After"), "5") << test;
  }
  const std::string other = GetParam() == "pg" ? "redis" : "pg";
  EXPECT_EQ(HttpGet(port(), "/tfb/" + other + "/db").status, 200);
  EXPECT_EQ(HttpGet(port(), "/tfb/plaintext").status, 200);
  if (GetParam() == "pg") {
    stack_->pg().Start();
  } else {
    stack_->redis().Start();
    stack_->Seed();  // no persistence: the restarted server is empty
  }
  // Back on both workers: ten answers in a row.
  int ok = 0;
  for (auto give_up = std::chrono::steady_clock::now() + 15s;
       ok < 10 && std::chrono::steady_clock::now() < give_up;) {
    ok = HttpGet(port(), Url("queries?queries=2")).status == 200 ? ok + 1 : 0;
    if (ok == 0) std::this_thread::sleep_for(50ms);
  }
  EXPECT_EQ(ok, 10);
}

INSTANTIATE_TEST_SUITE_P(Databases, TechEmpowerDb, ::testing::Values("redis", "pg"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace spindle::test
