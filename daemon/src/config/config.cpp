// config.cpp: the strict YAML loader behind config.hpp. Each section is read
// through its key table (keys.hpp, config/redis_keys.hpp,
// config/postgres_keys.hpp) by YamlReader, which keeps the file position for
// error messages; what spans several keys (path xor address, the loopback
// guards, apps) is checked here.
#include "config/config.hpp"

#include "config/keys.hpp"
#include "config/postgres_keys.hpp"
#include "config/redis_keys.hpp"
#include "config/schema_yaml.hpp"

#include <yaml-cpp/yaml.h>

#include <unistd.h>

#include <charconv>
#include <cstdio>
#include <fstream>
#include <set>
#include <sstream>
#include <stdexcept>

namespace spindle::config {
namespace {

class Parser {
 public:
  Parser(std::string name, std::string base_dir) : yaml_(std::move(name), base_dir) {}

  [[noreturn]] void Fail(const YAML::Node& node, const std::string& key,
                         const std::string& msg) const {
    yaml_.Fail(node, key, msg);
  }

  Config Parse(const YAML::Node& root) {
    Config cfg;
    cfg.file = yaml_.file();
    if (!root.IsDefined() || root.IsNull()) Fail(root, "", "the file is empty");
    yaml_.Apply(root, "", TopLevelKeys(), cfg);
    if (!root["listen"]) Fail(root, "listen", "is required");
    cfg.listen = ParseListen(root["listen"], "listen");
    if (auto n = root["limits"]) yaml_.Apply(n, "limits", LimitsKeys(), cfg.limits);
    if (auto n = root["log"]) yaml_.Apply(n, "log", LogKeys(), cfg);
    if (auto n = root["metrics"]) yaml_.Apply(n, "metrics", MetricsKeys(), cfg.observe);
    if (auto n = root["admin"]) cfg.observe.admin = ParseAdmin(n, "admin");
    if (auto n = root["scheduler"]) yaml_.Apply(n, "scheduler", SchedulerKeys(), cfg.scheduler);
    if (auto n = root["redis"]) cfg.redis = ParseRedis(n, "redis", redis::Config{});
    if (auto n = root["postgres"]) cfg.postgres = ParsePostgres(n, "postgres", pg::Config{});
    if (auto n = root["apps"]) cfg.apps = ParseApps(n, "apps", cfg);
    return cfg;
  }

  static bool IsLoopback(const std::string& host) {
    return host == "localhost" || host.rfind("127.", 0) == 0 || host == "::1";
  }

  // `admin:` has its own, stricter address check (ParseAdmin).
  ListenConfig ParseListen(const YAML::Node& node, const std::string& key,
                           bool is_admin = false) {
    ListenConfig l;
    yaml_.Apply(node, key, ListenKeys(), l);
    if (node["path"] && node["address"]) {
      Fail(node, key, "set either 'path' (unix socket) or 'address' (host:port), not both");
    }
    if (!node["path"] && !node["address"]) {
      Fail(node, key, "needs 'path' (unix socket) or 'address' (host:port)");
    }
    if (!l.is_unix() && (node["mode"] || node["owner"] || node["group"])) {
      Fail(node, key, "'mode', 'owner' and 'group' apply to a unix socket 'path' only");
    }
    // The protocol has no authentication and apps trust spindle_param
    // values (REMOTE_ADDR...): reachable from other hosts only on purpose.
    if (!is_admin && !l.is_unix() && !l.allow_remote && !IsLoopback(l.host)) {
      Fail(node["address"], JoinKey(key, "address"),
           "'" + l.host + "' is not a loopback address: anyone who reaches it can send "
           "requests with forged spindle_param values; set '" + JoinKey(key, "allow_remote") +
           ": true' (and firewall the port to your nginx hosts)");
    }
    return l;
  }

  // `base` with the keys of `node` over it, checked like every section.
  redis::Config ParseRedis(const YAML::Node& node, const std::string& key, redis::Config base) {
    yaml_.Apply(node, key, redis::impl::ConfigKeys(), base);
    if (auto p = redis::impl::CheckCrossKeys(base)) {
      Fail(node[p->key] ? node[p->key] : node, JoinKey(key, p->key), p->message);
    }
    return base;
  }

  // The same for `postgres:` (a conninfo libpq cannot parse included).
  pg::Config ParsePostgres(const YAML::Node& node, const std::string& key, pg::Config base) {
    yaml_.Apply(node, key, pg::impl::ConfigKeys(), base);
    if (auto p = pg::impl::CheckCrossKeys(base)) {
      Fail(node[p->key] ? node[p->key] : node, JoinKey(key, p->key), p->message);
    }
    return base;
  }

  // Same keys as `listen:`; a TCP address must be loopback (the admin
  // endpoint has no authentication).
  ListenConfig ParseAdmin(const YAML::Node& node, const std::string& key) {
    if (node.IsMap() && node["allow_remote"]) {
      Fail(node["allow_remote"], JoinKey(key, "allow_remote"),
           "the admin endpoint has no authentication: it is never served to other hosts");
    }
    ListenConfig a = ParseListen(node, key, /*is_admin=*/true);
    if (!a.is_unix()) {
      if (a.host == "localhost") a.host = "127.0.0.1";
      if (!IsLoopback(a.host)) {
        Fail(node["address"], JoinKey(key, "address"),
             "must be a loopback address (127.0.0.1 or ::1): the admin endpoint has no "
             "authentication");
      }
    }
    return a;
  }

  // `top` holds the top-level `redis:` and `postgres:` sections, the base of
  // each app's own.
  std::vector<AppConfig> ParseApps(const YAML::Node& node, const std::string& key,
                                   const Config& top) {
    if (!node.IsSequence()) Fail(node, key, "expected a list of apps");
    std::vector<AppConfig> apps;
    std::set<std::string> names;
    for (size_t i = 0; i < node.size(); ++i) {
      std::string k = key + "[" + std::to_string(i) + "]";
      AppConfig a = ParseApp(node[i], k, top);
      if (!names.insert(a.name).second) {
        Fail(node[i]["name"], JoinKey(k, "name"), "duplicate app name \"" + a.name + "\"");
      }
      apps.push_back(std::move(a));
    }
    return apps;
  }

  AppConfig ParseApp(const YAML::Node& app, const std::string& k, const Config& top) {
    yaml_.RequireMap(app, k);
    yaml_.RequireUniqueKeys(app, k);
    for (const auto& kv : app) {
      std::string name = kv.first.Scalar();
      if (name != "name" && name != "path" && name != "mount" && name != "config") {
        Fail(kv.first, JoinKey(k, name), "unknown key");
      }
    }
    AppConfig a;
    if (!app["name"]) Fail(app, JoinKey(k, "name"), "is required");
    if (!app["path"]) Fail(app, JoinKey(k, "path"), "is required");
    a.name = NonEmpty(app["name"], JoinKey(k, "name"));
    a.path = NonEmpty(app["path"], JoinKey(k, "path"));
    if (a.path[0] != '/') a.path = yaml_.base_dir() + "/" + a.path;
    if (auto m = app["mount"]) a.mount = ParseMount(m, JoinKey(k, "mount"));
    a.redis = top.redis.value_or(redis::Config{});
    a.redis_configured = top.redis.has_value();
    a.postgres = top.postgres.value_or(pg::Config{});
    a.postgres_configured = top.postgres.has_value();
    if (auto c = app["config"]) {
      a.config = ToJson(c, JoinKey(k, "config"));
      // The app's Redis and PostgreSQL keys are checked here, with their
      // line:column, rather than when its init hook runs.
      if (c.IsMap() && c["redis"]) {
        a.redis = ParseRedis(c["redis"], JoinKey(k, "config.redis"), a.redis);
        a.redis_configured = true;
      }
      if (c.IsMap() && c["postgres"]) {
        a.postgres = ParsePostgres(c["postgres"], JoinKey(k, "config.postgres"), a.postgres);
        a.postgres_configured = true;
      }
    }
    return a;
  }

  std::string NonEmpty(const YAML::Node& n, const std::string& key) const {
    std::string s = yaml_.Scalar(n, key);
    if (s.empty()) Fail(n, key, "must not be empty");
    return s;
  }

  std::string ParseMount(const YAML::Node& n, const std::string& key) {
    std::string m = yaml_.Scalar(n, key);
    if (m.empty()) return m;  // "" is the root, like "/"
    if (m[0] != '/') Fail(n, key, "must start with '/'");
    while (m.size() > 1 && m.back() == '/') m.pop_back();
    if (m == "/") m.clear();
    return m;
  }

  // The app's subtree is handed over untyped YAML -> JSON: plain scalars
  // become numbers/booleans/null when they read as such, quoted ones stay
  // strings. A repeated key is an error here too (`path` names it).
  nlohmann::json ToJson(const YAML::Node& node, const std::string& path) const {
    switch (node.Type()) {
      case YAML::NodeType::Map: {
        yaml_.RequireUniqueKeys(node, path);
        nlohmann::json obj = nlohmann::json::object();
        for (const auto& kv : node) {
          obj[kv.first.Scalar()] = ToJson(kv.second, JoinKey(path, kv.first.Scalar()));
        }
        return obj;
      }
      case YAML::NodeType::Sequence: {
        nlohmann::json arr = nlohmann::json::array();
        size_t i = 0;
        for (const auto& v : node) arr.push_back(ToJson(v, path + "[" + std::to_string(i++) + "]"));
        return arr;
      }
      case YAML::NodeType::Scalar:
        return ScalarToJson(node);
      default:
        return nullptr;
    }
  }

  static nlohmann::json ScalarToJson(const YAML::Node& node) {
    const std::string& s = node.Scalar();
    if (node.Tag() == "!") return s;  // quoted
    if (s == "~" || s == "null") return nullptr;
    if (s == "true" || s == "yes") return true;
    if (s == "false" || s == "no") return false;
    int64_t i = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), i);
    if (ec == std::errc() && end == s.data() + s.size() && !s.empty()) return i;
    double d = 0;
    auto [dend, dec] = std::from_chars(s.data(), s.data() + s.size(), d);
    if (dec == std::errc() && dend == s.data() + s.size() && !s.empty()) return d;
    return s;
  }

 private:
  YamlReader yaml_;
};

}  // namespace

std::string ListenConfig::Describe() const {
  return is_unix() ? "unix:" + path : host + ":" + std::to_string(port);
}

unsigned Config::EffectiveWorkers() const {
  if (workers > 0) return workers;
  long n = sysconf(_SC_NPROCESSORS_ONLN);
  return n > 0 ? static_cast<unsigned>(n) : 1;
}

LoadResult LoadString(const std::string& text, const std::string& name,
                      const std::string& base_dir) {
  LoadResult result;
  try {
    YAML::Node root = YAML::Load(text);
    result.config = Parser(name, base_dir).Parse(root);
  } catch (const ConfigError& e) {
    result.failure = e.error();
  } catch (const YAML::Exception& e) {
    // e.mark is 0-based; msg has no position of its own.
    result.failure = Error{name, {e.mark.line + 1, e.mark.column + 1}, "", e.msg};
  }
  if (result.failure) result.error = result.failure->ToString();
  return result;
}

LoadResult LoadFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    LoadResult r;
    r.failure = Error{path, {}, "", "cannot open the file"};
    r.error = r.failure->ToString();
    return r;
  }
  std::stringstream buf;
  buf << in.rdbuf();
  std::string dir = ".";
  auto slash = path.rfind('/');
  if (slash != std::string::npos) dir = slash == 0 ? "/" : path.substr(0, slash);
  return LoadString(buf.str(), path, dir);
}

}  // namespace spindle::config
