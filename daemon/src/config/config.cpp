// config.cpp: the strict YAML loader behind config.hpp. Each section has one
// small function that walks its map, checks every key against the known set,
// and converts values with the file position kept for error messages.
#include "config/config.hpp"

#include "redis/config_yaml.hpp"

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

// Thrown inside the loader only; LoadString turns it into LoadResult::error.
struct ConfigError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

class Parser {
 public:
  Parser(std::string name, std::string base_dir)
      : name_(std::move(name)), base_dir_(std::move(base_dir)) {}

  [[noreturn]] void Fail(const YAML::Node& node, const std::string& key,
                         const std::string& msg) const {
    std::ostringstream out;
    out << name_;
    if (node.IsDefined() && node.Mark().line >= 0) {
      out << ':' << node.Mark().line + 1 << ':' << node.Mark().column + 1;
    }
    out << ": ";
    if (!key.empty()) out << "key '" << key << "': ";
    out << msg;
    throw ConfigError(out.str());
  }

  static std::string Join(const std::string& parent, const std::string& key) {
    return parent.empty() ? key : parent + "." + key;
  }

  void RequireMap(const YAML::Node& node, const std::string& key) const {
    if (!node.IsMap()) Fail(node, key, "expected a map");
  }

  void CheckKeys(const YAML::Node& map, const std::string& key,
                 const std::set<std::string>& known) const {
    for (const auto& kv : map) {
      std::string k = kv.first.Scalar();
      if (!kv.first.IsScalar() || known.count(k) == 0) {
        Fail(kv.first, Join(key, k), "unknown key");
      }
    }
  }

  std::string Scalar(const YAML::Node& node, const std::string& key) const {
    if (!node.IsScalar()) Fail(node, key, "expected a scalar value");
    return node.Scalar();
  }

  std::string String(const YAML::Node& node, const std::string& key) const {
    std::string s = Scalar(node, key);
    if (s.empty()) Fail(node, key, "must not be empty");
    return s;
  }

  uint64_t Unsigned(const YAML::Node& node, const std::string& key,
                    uint64_t min, uint64_t max) const {
    std::string s = Scalar(node, key);
    uint64_t v = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || end != s.data() + s.size()) {
      Fail(node, key, "expected a non-negative integer, got \"" + s + "\"");
    }
    CheckRange(node, key, v, min, max);
    return v;
  }

  uint64_t Size(const YAML::Node& node, const std::string& key, uint64_t min,
                uint64_t max) const {
    std::string s = Scalar(node, key);
    auto v = ParseSize(s);
    if (!v) Fail(node, key, "expected a size like 65536, 64k or 1m, got \"" + s + "\"");
    CheckRange(node, key, *v, min, max);
    return *v;
  }

  std::chrono::milliseconds Duration(const YAML::Node& node,
                                     const std::string& key) const {
    std::string s = Scalar(node, key);
    auto v = ParseDuration(s);
    if (!v) Fail(node, key, "expected a duration like 250ms, 10s or 2m, got \"" + s + "\"");
    return *v;
  }

  void CheckRange(const YAML::Node& node, const std::string& key, uint64_t v,
                  uint64_t min, uint64_t max) const {
    if (v < min || v > max) {
      Fail(node, key, "value " + std::to_string(v) + " is outside " +
                          std::to_string(min) + ".." + std::to_string(max));
    }
  }

  Config Parse(const YAML::Node& root) {
    Config cfg;
    cfg.file = name_;
    if (!root.IsDefined() || root.IsNull()) Fail(root, "", "the file is empty");
    RequireMap(root, "");
    CheckKeys(root, "", {"listen", "workers", "stack_size", "max_fibers", "max_connections",
                         "max_inflight", "queue_timeout", "request_timeout",
                         "idle_timeout", "drain_timeout", "limits", "log", "apps",
                         "scheduler", "offload_threads", "watchdog_threshold",
                         "redis", "metrics", "admin"});
    if (!root["listen"]) Fail(root, "listen", "is required");
    cfg.listen = ParseListen(root["listen"], "listen");
    if (auto n = root["workers"]) {
      cfg.workers = Scalar(n, "workers") == "auto"
                        ? 0
                        : static_cast<unsigned>(Unsigned(n, "workers", 1, 256));
    }
    if (auto n = root["stack_size"]) {
      cfg.stack_size = Size(n, "stack_size", 16 * 1024, 64ull << 20);
    }
    if (auto n = root["max_fibers"]) {
      cfg.max_fibers = Unsigned(n, "max_fibers", 0, 10000000);
    }
    if (auto n = root["max_connections"]) {
      cfg.max_connections = Unsigned(n, "max_connections", 1, 1000000);
    }
    if (auto n = root["max_inflight"]) {
      cfg.max_inflight = Unsigned(n, "max_inflight", 1, 1000000);
    }
    if (auto n = root["queue_timeout"]) cfg.queue_timeout = Duration(n, "queue_timeout");
    if (auto n = root["request_timeout"]) cfg.request_timeout = Duration(n, "request_timeout");
    if (auto n = root["idle_timeout"]) cfg.idle_timeout = Duration(n, "idle_timeout");
    if (auto n = root["drain_timeout"]) cfg.drain_timeout = Duration(n, "drain_timeout");
    if (auto n = root["limits"]) cfg.limits = ParseLimits(n, "limits");
    if (auto n = root["log"]) ParseLog(n, "log", cfg);
    if (auto n = root["metrics"]) ParseMetrics(n, "metrics", cfg.observe);
    if (auto n = root["admin"]) cfg.observe.admin = ParseAdmin(n, "admin");
    if (auto n = root["apps"]) cfg.apps = ParseApps(n, "apps");
    if (auto n = root["scheduler"]) cfg.scheduler = ParseScheduler(n, "scheduler");
    if (auto n = root["offload_threads"]) {
      cfg.offload_threads = Unsigned(n, "offload_threads", 1, 256);
    }
    if (auto n = root["watchdog_threshold"]) {
      cfg.watchdog_threshold = Duration(n, "watchdog_threshold");
    }
    if (auto n = root["redis"]) cfg.redis = ParseRedis(n, "redis");
    return cfg;
  }

  bool Bool(const YAML::Node& n, const std::string& key) {
    std::string v = Scalar(n, key);
    if (v != "true" && v != "false" && v != "on" && v != "off") {
      Fail(n, key, "expected true or false, got \"" + v + "\"");
    }
    return v == "true" || v == "on";
  }

  static bool IsLoopback(const std::string& host) {
    return host == "localhost" || host.rfind("127.", 0) == 0 || host == "::1";
  }

  // `admin:` has its own, stricter address check (ParseAdmin).
  ListenConfig ParseListen(const YAML::Node& node, const std::string& key,
                           bool is_admin = false) {
    ListenConfig l;
    RequireMap(node, key);
    CheckKeys(node, key, {"path", "address", "mode", "owner", "group", "backlog", "allow_remote"});
    if (node["path"] && node["address"]) {
      Fail(node, key, "set either 'path' (unix socket) or 'address' (host:port), not both");
    }
    if (auto n = node["path"]) {
      l.path = String(n, Join(key, "path"));
      if (l.path.size() >= 108) Fail(n, Join(key, "path"), "unix socket path longer than 107 bytes");
      if (l.path[0] != '/') l.path = base_dir_ + "/" + l.path;
    } else if (auto a = node["address"]) {
      ParseAddress(a, Join(key, "address"), l);
    } else {
      Fail(node, key, "needs 'path' (unix socket) or 'address' (host:port)");
    }
    if (auto n = node["mode"]) {
      std::string s = Scalar(n, Join(key, "mode"));
      unsigned mode = 0;
      auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), mode, 8);
      if (ec != std::errc() || end != s.data() + s.size() || mode > 07777) {
        Fail(n, Join(key, "mode"), "expected an octal mode like \"0660\", got \"" + s + "\"");
      }
      l.mode = mode;
    }
    if (auto n = node["owner"]) l.owner = String(n, Join(key, "owner"));
    if (auto n = node["group"]) l.group = String(n, Join(key, "group"));
    if (auto n = node["backlog"]) {
      l.backlog = static_cast<int>(Unsigned(n, Join(key, "backlog"), 1, 65535));
    }
    if (!l.is_unix() && (node["mode"] || node["owner"] || node["group"])) {
      Fail(node, key, "'mode', 'owner' and 'group' apply to a unix socket 'path' only");
    }
    if (auto n = node["allow_remote"]) l.allow_remote = Bool(n, Join(key, "allow_remote"));
    // The protocol has no authentication and apps trust spindle_param
    // values (REMOTE_ADDR...): reachable from other hosts only on purpose.
    if (!is_admin && !l.is_unix() && !l.allow_remote && !IsLoopback(l.host)) {
      Fail(node["address"], Join(key, "address"),
           "'" + l.host + "' is not a loopback address: anyone who reaches it can send "
           "requests with forged spindle_param values; set '" + Join(key, "allow_remote") +
           ": true' (and firewall the port to your nginx hosts)");
    }
    return l;
  }

  void ParseAddress(const YAML::Node& n, const std::string& key, ListenConfig& l) {
    std::string s = String(n, key);
    auto colon = s.rfind(':');
    if (colon == std::string::npos || colon == 0 || colon + 1 == s.size()) {
      Fail(n, key, "expected host:port, got \"" + s + "\"");
    }
    l.host = s.substr(0, colon);
    if (l.host.size() > 2 && l.host.front() == '[' && l.host.back() == ']') {
      l.host = l.host.substr(1, l.host.size() - 2);
    }
    unsigned port = 0;
    std::string p = s.substr(colon + 1);
    auto [end, ec] = std::from_chars(p.data(), p.data() + p.size(), port);
    if (ec != std::errc() || end != p.data() + p.size() || port == 0 || port > 65535) {
      Fail(n, key, "invalid port in \"" + s + "\"");
    }
    l.port = static_cast<uint16_t>(port);
  }

  LimitsConfig ParseLimits(const YAML::Node& node, const std::string& key) {
    LimitsConfig l;
    RequireMap(node, key);
    CheckKeys(node, key, {"max_head_size", "max_headers", "max_uri_length", "max_body_size",
                          "max_response_head_size"});
    if (auto n = node["max_head_size"]) {
      l.max_head_size = static_cast<uint32_t>(
          Size(n, Join(key, "max_head_size"), 1024, 1024 * 1024));
    }
    if (auto n = node["max_headers"]) {
      l.max_headers = static_cast<uint32_t>(Unsigned(n, Join(key, "max_headers"), 1, 1024));
    }
    if (auto n = node["max_uri_length"]) {
      l.max_uri_length = static_cast<uint32_t>(
          Size(n, Join(key, "max_uri_length"), 16, 1024 * 1024));
    }
    if (auto n = node["max_body_size"]) {
      l.max_body_size = Size(n, Join(key, "max_body_size"), 0, 1ull << 40);
    }
    if (auto n = node["max_response_head_size"]) {
      l.max_response_head_size = static_cast<uint32_t>(
          Size(n, Join(key, "max_response_head_size"), 64, 1024 * 1024));
    }
    return l;
  }

  SchedulerConfig ParseScheduler(const YAML::Node& node, const std::string& key) {
    SchedulerConfig s;
    RequireMap(node, key);
    CheckKeys(node, key, {"max_ready_per_poll", "accept_batch"});
    if (auto n = node["max_ready_per_poll"]) {
      s.max_ready_per_poll = Unsigned(n, Join(key, "max_ready_per_poll"), 1, 1000000);
    }
    if (auto n = node["accept_batch"]) {
      s.accept_batch = Unsigned(n, Join(key, "accept_batch"), 1, 1000000);
    }
    return s;
  }

  // The Redis client owns its key table (redis/config_yaml.hpp); its errors
  // ("redis.pool_size: expected ... (line 7)") are re-pointed at the
  // offending key so they carry line:column like every other error here.
  redis::Config ParseRedis(const YAML::Node& node, const std::string& key) {
    RequireMap(node, key);
    try {
      return redis::ConfigFromYaml(node, key);
    } catch (const std::invalid_argument& e) {
      std::string msg = e.what();
      if (auto line = msg.rfind(" (line "); line != std::string::npos) msg.erase(line);
      std::string prefix = key + ".";
      auto colon = msg.find(": ");
      if (msg.rfind(prefix, 0) == 0 && colon != std::string::npos) {
        std::string sub = msg.substr(prefix.size(), colon - prefix.size());
        if (node[sub]) Fail(node[sub], Join(key, sub), msg.substr(colon + 2));
      }
      Fail(node, key, msg);
    }
  }

  void ParseLog(const YAML::Node& node, const std::string& key, Config& cfg) {
    RequireMap(node, key);
    CheckKeys(node, key, {"level", "format", "file", "access_log"});
    if (auto n = node["format"]) {
      std::string f = Scalar(n, Join(key, "format"));
      if (f != "journal" && f != "logfmt" && f != "json") {
        Fail(n, Join(key, "format"), "expected one of journal, logfmt, json, got \"" + f + "\"");
      }
      cfg.observe.log_format = f;
    }
    if (auto n = node["file"]) {
      cfg.observe.log_file = String(n, Join(key, "file"));
      if (cfg.observe.log_file[0] != '/') {
        cfg.observe.log_file = base_dir_ + "/" + cfg.observe.log_file;
      }
    }
    if (auto n = node["access_log"]) {
      std::string a = Scalar(n, Join(key, "access_log"));
      if (a == "on" || a == "true") a = "info";
      if (a == "false") a = "off";
      if (a != "off" && a != "debug" && a != "info") {
        Fail(n, Join(key, "access_log"), "expected one of off, on, debug, info, got \"" + a + "\"");
      }
      cfg.observe.access_log = a;
    }
    if (auto n = node["level"]) {
      std::string lv = Scalar(n, Join(key, "level"));
      static const std::set<std::string> kLevels = {
          "trace", "debug", "info", "warn", "error", "critical", "off"};
      if (!kLevels.count(lv)) {
        Fail(n, Join(key, "level"),
             "expected one of trace, debug, info, warn, error, critical, off");
      }
      cfg.log_level = lv;
    }
  }

  void ParseMetrics(const YAML::Node& node, const std::string& key, ObserveConfig& o) {
    RequireMap(node, key);
    CheckKeys(node, key, {"enabled", "max_routes"});
    if (auto n = node["enabled"]) o.metrics = Bool(n, Join(key, "enabled"));
    if (auto n = node["max_routes"]) {
      o.max_routes = static_cast<unsigned>(Unsigned(n, Join(key, "max_routes"), 8, 65536));
    }
  }

  // Same keys as `listen:`; a TCP address must be loopback (the admin
  // endpoint has no authentication).
  ListenConfig ParseAdmin(const YAML::Node& node, const std::string& key) {
    if (node.IsMap() && node["allow_remote"]) {
      Fail(node["allow_remote"], Join(key, "allow_remote"),
           "the admin endpoint has no authentication: it is never served to other hosts");
    }
    ListenConfig a = ParseListen(node, key, /*is_admin=*/true);
    if (!a.is_unix()) {
      if (a.host == "localhost") a.host = "127.0.0.1";
      if (!IsLoopback(a.host)) {
        Fail(node["address"], Join(key, "address"),
             "must be a loopback address (127.0.0.1 or ::1): the admin endpoint has no "
             "authentication");
      }
    }
    return a;
  }

  std::vector<AppConfig> ParseApps(const YAML::Node& node, const std::string& key) {
    if (!node.IsSequence()) Fail(node, key, "expected a list of apps");
    std::vector<AppConfig> apps;
    std::set<std::string> names;
    for (size_t i = 0; i < node.size(); ++i) {
      std::string k = key + "[" + std::to_string(i) + "]";
      const YAML::Node app = node[i];
      RequireMap(app, k);
      CheckKeys(app, k, {"name", "path", "mount", "config"});
      AppConfig a;
      if (!app["name"]) Fail(app, Join(k, "name"), "is required");
      if (!app["path"]) Fail(app, Join(k, "path"), "is required");
      a.name = String(app["name"], Join(k, "name"));
      if (!names.insert(a.name).second) {
        Fail(app["name"], Join(k, "name"), "duplicate app name \"" + a.name + "\"");
      }
      a.path = String(app["path"], Join(k, "path"));
      if (a.path[0] != '/') a.path = base_dir_ + "/" + a.path;
      if (auto m = app["mount"]) a.mount = ParseMount(m, Join(k, "mount"));
      if (auto c = app["config"]) a.config = ToJson(c);
      apps.push_back(std::move(a));
    }
    return apps;
  }

  std::string ParseMount(const YAML::Node& n, const std::string& key) {
    std::string m = Scalar(n, key);
    if (m.empty()) return m;  // "" is the root, like "/"
    if (m[0] != '/') Fail(n, key, "must start with '/'");
    while (m.size() > 1 && m.back() == '/') m.pop_back();
    if (m == "/") m.clear();
    return m;
  }

  // The app's subtree is handed over untyped YAML -> JSON: plain scalars
  // become numbers/booleans/null when they read as such, quoted ones stay
  // strings.
  static nlohmann::json ToJson(const YAML::Node& node) {
    switch (node.Type()) {
      case YAML::NodeType::Map: {
        nlohmann::json obj = nlohmann::json::object();
        for (const auto& kv : node) obj[kv.first.Scalar()] = ToJson(kv.second);
        return obj;
      }
      case YAML::NodeType::Sequence: {
        nlohmann::json arr = nlohmann::json::array();
        for (const auto& v : node) arr.push_back(ToJson(v));
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
  std::string name_;
  std::string base_dir_;
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

std::optional<std::chrono::milliseconds> ParseDuration(const std::string& s) {
  uint64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end == s.data()) return std::nullopt;
  std::string unit(end, s.data() + s.size());
  uint64_t mult;
  if (unit.empty() || unit == "s") {
    mult = 1000;
  } else if (unit == "ms") {
    mult = 1;
  } else if (unit == "m") {
    mult = 60 * 1000;
  } else if (unit == "h") {
    mult = 3600 * 1000;
  } else {
    return std::nullopt;
  }
  if (v > (1ull << 40) / mult) return std::nullopt;
  return std::chrono::milliseconds(v * mult);
}

std::optional<uint64_t> ParseSize(const std::string& s) {
  uint64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end == s.data()) return std::nullopt;
  std::string unit(end, s.data() + s.size());
  int shift;
  if (unit.empty()) {
    shift = 0;
  } else if (unit == "k" || unit == "K") {
    shift = 10;
  } else if (unit == "m" || unit == "M") {
    shift = 20;
  } else if (unit == "g" || unit == "G") {
    shift = 30;
  } else {
    return std::nullopt;
  }
  if (v > ((1ull << 50) >> shift)) return std::nullopt;
  return v << shift;
}

LoadResult LoadString(const std::string& text, const std::string& name,
                      const std::string& base_dir) {
  LoadResult result;
  try {
    YAML::Node root = YAML::Load(text);
    result.config = Parser(name, base_dir).Parse(root);
  } catch (const ConfigError& e) {
    result.error = e.what();
  } catch (const YAML::Exception& e) {
    // e.mark is 0-based; msg has no position of its own.
    result.error = name + ":" + std::to_string(e.mark.line + 1) + ":" +
                   std::to_string(e.mark.column + 1) + ": " + e.msg;
  }
  return result;
}

LoadResult LoadFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    LoadResult r;
    r.error = path + ": cannot open the file";
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
