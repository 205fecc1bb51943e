// The key tables (config/keys.hpp, config/redis_keys.hpp,
// config/postgres_keys.hpp) against the three other places a default is
// written: the structs' member initialisers, the shipped conf/spindled.yaml
// and docs/config.md. A key added to a table without its default in those
// places fails here.
#include "config/keys.hpp"
#include "config/postgres_keys.hpp"
#include "config/redis_keys.hpp"
#include "config/schema_yaml.hpp"
#include "text_file.hpp"

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <sstream>

namespace spindle::test {
namespace {

using namespace spindle::config;

// Each table with the path its keys take in the file.
template <class T>
struct Table {
  std::string prefix;
  const Section<T>& section;
};

// The default text of `key` stored into a default-constructed T.
template <class T>
T WithDefault(const Key<T>& key) {
  T t{};
  Value v;
  std::string why =
      Convert(key.kind, key.min, key.max, key.choices, std::string(key.default_text), "", v);
  EXPECT_EQ(why, "") << key.name;
  if (why.empty()) {
    EXPECT_EQ(key.set(t, v), "") << key.name;
  }
  return t;
}

template <class T>
void ExpectDefaultsAreTheStructs(const Table<T>& table) {
  for (const Key<T>& key : table.section.keys) {
    if (key.default_text.empty()) continue;  // no default: site-specific (a path, a group)
    EXPECT_TRUE(WithDefault(key) == T{})
        << JoinKey(table.prefix, key.name) << ": the table's default '" << key.default_text
        << "' is not the struct's";
  }
}

TEST(ConfigKeys, TableDefaultsAreTheStructDefaults) {
  ExpectDefaultsAreTheStructs(Table<Config>{"", TopLevelKeys()});
  ExpectDefaultsAreTheStructs(Table<ListenConfig>{"listen", ListenKeys()});
  ExpectDefaultsAreTheStructs(Table<LimitsConfig>{"limits", LimitsKeys()});
  ExpectDefaultsAreTheStructs(Table<SchedulerConfig>{"scheduler", SchedulerKeys()});
  ExpectDefaultsAreTheStructs(Table<Config>{"log", LogKeys()});
  ExpectDefaultsAreTheStructs(Table<ObserveConfig>{"metrics", MetricsKeys()});
  ExpectDefaultsAreTheStructs(Table<redis::Config>{"redis", redis::impl::ConfigKeys()});
  ExpectDefaultsAreTheStructs(Table<pg::Config>{"postgres", pg::impl::ConfigKeys()});
}

// The shipped file writes out the defaults: a key it sets means the same as
// leaving it out. (listen:/admin: paths and groups are the install's own.)
template <class T>
void ExpectShippedIsDefault(const YAML::Node& root, const Table<T>& table, int& checked) {
  YAML::Node map = table.prefix.empty() ? root : root[table.prefix];
  if (!map) return;
  for (const auto& kv : map) {
    const Key<T>* key = table.section.Find(kv.first.Scalar());
    if (!key || key->default_text.empty()) continue;
    T shipped{};
    Value v;
    ASSERT_EQ(Convert(key->kind, key->min, key->max, key->choices, kv.second.Scalar(), "", v), "");
    ASSERT_EQ(key->set(shipped, v), "");
    EXPECT_TRUE(shipped == WithDefault(*key))
        << "conf/spindled.yaml sets " << JoinKey(table.prefix, key->name) << ": "
        << kv.second.Scalar() << ", the default is " << key->default_text;
    ++checked;
  }
}

TEST(ConfigKeys, ShippedConfigWritesOutTheDefaults) {
  YAML::Node root = YAML::LoadFile(SPINDLE_SOURCE_DIR "/conf/spindled.yaml");
  int checked = 0;
  ExpectShippedIsDefault(root, Table<Config>{"", TopLevelKeys()}, checked);
  ExpectShippedIsDefault(root, Table<ListenConfig>{"listen", ListenKeys()}, checked);
  ExpectShippedIsDefault(root, Table<LimitsConfig>{"limits", LimitsKeys()}, checked);
  ExpectShippedIsDefault(root, Table<SchedulerConfig>{"scheduler", SchedulerKeys()}, checked);
  ExpectShippedIsDefault(root, Table<Config>{"log", LogKeys()}, checked);
  ExpectShippedIsDefault(root, Table<ObserveConfig>{"metrics", MetricsKeys()}, checked);
  EXPECT_GE(checked, 25);  // the file sets most keys; a rename would drop them silently
}

// docs/config.md has a row for every key, naming its default.
template <class T>
void ExpectDocumented(const std::string& docs, const Table<T>& table) {
  for (const Key<T>& key : table.section.keys) {
    std::string name = "`" + JoinKey(table.prefix, key.name) + "`";
    std::istringstream lines(docs);
    std::string row;
    bool found = false;
    for (std::string line; std::getline(lines, line);) {
      if (line.rfind("| ", 0) == 0 && line.find(name) != std::string::npos) {
        row = line;
        found = true;
        break;
      }
    }
    EXPECT_TRUE(found) << name << " has no row in docs/config.md";
    if (!found || key.default_text.empty()) continue;
    std::string d(key.default_text);
    EXPECT_TRUE(row.find("`" + d + "`") != std::string::npos ||
                row.find("`\"" + d + "\"`") != std::string::npos)
        << name << ": docs/config.md does not show the default `" << d << "`:\n" << row;
  }
}

TEST(ConfigKeys, EveryKeyIsDocumentedWithItsDefault) {
  std::string docs = test::ReadFile(SPINDLE_SOURCE_DIR "/docs/config.md");
  ASSERT_FALSE(docs.empty());
  ExpectDocumented(docs, Table<Config>{"", TopLevelKeys()});
  ExpectDocumented(docs, Table<ListenConfig>{"listen", ListenKeys()});
  ExpectDocumented(docs, Table<LimitsConfig>{"limits", LimitsKeys()});
  ExpectDocumented(docs, Table<SchedulerConfig>{"scheduler", SchedulerKeys()});
  ExpectDocumented(docs, Table<Config>{"log", LogKeys()});
  ExpectDocumented(docs, Table<ObserveConfig>{"metrics", MetricsKeys()});
  ExpectDocumented(docs, Table<redis::Config>{"redis", redis::impl::ConfigKeys()});
  ExpectDocumented(docs, Table<pg::Config>{"postgres", pg::impl::ConfigKeys()});
}

// One grammar: the same text means the same duration in every section.
TEST(ConfigKeys, ABareDurationIsSecondsInEverySection) {
  auto r = LoadString(
      "listen: {path: /s}\nidle_timeout: 7\nredis: {command_timeout: 7}\n"
      "postgres: {query_timeout: 7}\n"
      "apps:\n  - {name: a, path: /a.so, config: {redis: {connect_timeout: 7}, "
      "postgres: {connect_timeout: 7}}}\n",
      "t.yaml", "/");
  ASSERT_TRUE(r.config) << r.error;
  EXPECT_EQ(r.config->idle_timeout, std::chrono::seconds(7));
  EXPECT_EQ(r.config->redis->command_timeout, std::chrono::seconds(7));
  EXPECT_EQ(r.config->apps[0].redis.connect_timeout, std::chrono::seconds(7));
  EXPECT_EQ(r.config->postgres->query_timeout, std::chrono::seconds(7));
  EXPECT_EQ(r.config->apps[0].postgres.connect_timeout, std::chrono::seconds(7));
}

}  // namespace
}  // namespace spindle::test
