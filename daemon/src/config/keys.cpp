// keys.cpp: the rows of spindled.yaml's own sections (keys.hpp). Each row:
// name, kind, default as docs/config.md writes it, doc line, setter, range.
#include "config/keys.hpp"

#include <charconv>

namespace spindle::config {
namespace {

using std::string;
constexpr uint64_t kMiB = 1024 * 1024;
constexpr uint64_t kNoMax = UINT64_MAX;

// 1..256 or "auto" (0: one worker per online core).
string SetWorkers(Config& c, const Value& v) {
  if (v.text == "auto") {
    c.workers = 0;
    return "";
  }
  unsigned n = 0;
  auto [end, ec] = std::from_chars(v.text.data(), v.text.data() + v.text.size(), n);
  if (ec != std::errc() || end != v.text.data() + v.text.size() || n < 1 || n > 256) {
    return "expected auto or an integer 1..256, got \"" + v.text + "\"";
  }
  c.workers = n;
  return "";
}

const Key<Config> kTop[] = {
    {"workers", Kind::kText, "auto", "worker processes; auto: one per online core", SetWorkers},
    {"stack_size", Kind::kSize, "64k", "usable bytes per fiber stack",
     [](Config& c, const Value& v) { c.stack_size = v.count; return string(); },
     16 * 1024, 64 * kMiB},
    {"max_fibers", Kind::kCount, "65536", "fibers per worker at once; 0: no cap",
     [](Config& c, const Value& v) { c.max_fibers = v.count; return string(); }, 0, 10000000},
    {"max_connections", Kind::kCount, "16384", "connections from nginx per worker",
     [](Config& c, const Value& v) { c.max_connections = v.count; return string(); }, 1,
     1000000},
    {"max_inflight", Kind::kCount, "10000", "handlers running at once per worker",
     [](Config& c, const Value& v) { c.max_inflight = v.count; return string(); }, 1, 1000000},
    {"queue_timeout", Kind::kDuration, "30s", "wait for a handler slot, then 503",
     [](Config& c, const Value& v) { c.queue_timeout = v.duration; return string(); }},
    {"request_timeout", Kind::kDuration, "0", "a handler running longer is cancelled; 0: none",
     [](Config& c, const Value& v) { c.request_timeout = v.duration; return string(); }},
    {"idle_timeout", Kind::kDuration, "75s", "kept-alive connections idle this long close",
     [](Config& c, const Value& v) { c.idle_timeout = v.duration; return string(); }},
    {"drain_timeout", Kind::kDuration, "30s", "in-flight requests' time at a stop or reload",
     [](Config& c, const Value& v) { c.drain_timeout = v.duration; return string(); }},
    {"offload_threads", Kind::kCount, "2", "threads of each worker's offload() pool",
     [](Config& c, const Value& v) { c.offload_threads = v.count; return string(); }, 1, 256},
    {"watchdog_threshold", Kind::kDuration, "50ms", "report a fiber running this long; 0: off",
     [](Config& c, const Value& v) { c.watchdog_threshold = v.duration; return string(); }},
};
const std::string_view kTopSections[] = {"listen", "limits", "log",      "metrics",  "admin",
                                         "apps",   "redis",  "postgres", "scheduler"};

string SetPath(ListenConfig& l, const Value& v) {
  if (v.text.size() >= 108) return "unix socket path longer than 107 bytes";
  l.path = v.text;
  return "";
}

const Key<ListenConfig> kListen[] = {
    {"path", Kind::kPath, "", "unix socket path", SetPath},
    {"address", Kind::kText, "", "host:port (TCP)",
     [](ListenConfig& l, const Value& v) { return ParseHostPort(v.text, l); }},
    {"mode", Kind::kOctal, "0660", "unix socket file mode",
     [](ListenConfig& l, const Value& v) { l.mode = static_cast<unsigned>(v.count); return string(); }},
    {"owner", Kind::kText, "", "unix socket owner",
     [](ListenConfig& l, const Value& v) { l.owner = v.text; return string(); }},
    {"group", Kind::kText, "", "unix socket group",
     [](ListenConfig& l, const Value& v) { l.group = v.text; return string(); }},
    {"backlog", Kind::kCount, "16384", "listen(2) backlog",
     [](ListenConfig& l, const Value& v) { l.backlog = static_cast<int>(v.count); return string(); },
     1, 65535},
    {"allow_remote", Kind::kFlag, "false", "serve a non-loopback TCP address",
     [](ListenConfig& l, const Value& v) { l.allow_remote = v.flag; return string(); }},
};

const Key<LimitsConfig> kLimits[] = {
    {"max_head_size", Kind::kSize, "64k", "request line + headers + params (431 beyond)",
     [](LimitsConfig& l, const Value& v) { l.max_head_size = static_cast<uint32_t>(v.count); return string(); },
     1024, kMiB},
    {"max_headers", Kind::kCount, "256", "headers and params per request (431 beyond)",
     [](LimitsConfig& l, const Value& v) { l.max_headers = static_cast<uint32_t>(v.count); return string(); },
     1, 1024},
    {"max_uri_length", Kind::kSize, "8k", "raw URI with query (414 beyond)",
     [](LimitsConfig& l, const Value& v) { l.max_uri_length = static_cast<uint32_t>(v.count); return string(); },
     16, kMiB},
    {"max_body_size", Kind::kSize, "100m", "request body bytes (413 beyond)",
     [](LimitsConfig& l, const Value& v) { l.max_body_size = v.count; return string(); }, 0,
     1ull << 40},
    {"max_response_head_size", Kind::kSize, "4k", "response head an app sends (500 beyond)",
     [](LimitsConfig& l, const Value& v) { l.max_response_head_size = static_cast<uint32_t>(v.count); return string(); },
     64, kMiB},
};

const Key<SchedulerConfig> kScheduler[] = {
    {"max_ready_per_poll", Kind::kCount, "64", "ready fibers run between two epoll polls",
     [](SchedulerConfig& s, const Value& v) { s.max_ready_per_poll = v.count; return string(); },
     1, 1000000},
    {"accept_batch", Kind::kCount, "64", "connections taken per accept wake-up",
     [](SchedulerConfig& s, const Value& v) { s.accept_batch = v.count; return string(); }, 1,
     1000000},
};

const Key<Config> kLog[] = {
    {"level", Kind::kChoice, "info", "minimum level logged",
     [](Config& c, const Value& v) { c.log_level = v.text; return string(); }, 0, kNoMax,
     "trace debug info warn error critical off"},
    {"format", Kind::kChoice, "journal", "line format",
     [](Config& c, const Value& v) { c.observe.log_format = v.text; return string(); }, 0,
     kNoMax, "journal logfmt json"},
    {"file", Kind::kPath, "", "also append to this file",
     [](Config& c, const Value& v) { c.observe.log_file = v.text; return string(); }},
    {"access_log", Kind::kChoice, "debug", "one line per request at this level",
     [](Config& c, const Value& v) { c.observe.access_log = v.text; return string(); }, 0,
     kNoMax, "off debug info on=info true=info false=off"},
};

const Key<ObserveConfig> kMetrics[] = {
    {"enabled", Kind::kFlag, "true", "the shared metrics region",
     [](ObserveConfig& o, const Value& v) { o.metrics = v.flag; return string(); }},
    {"max_routes", Kind::kCount, "256", "route labels the region holds",
     [](ObserveConfig& o, const Value& v) { o.max_routes = static_cast<unsigned>(v.count); return string(); },
     8, 65536},
    {"max_app_metrics", Kind::kCount, "64", "app metrics the region holds",
     [](ObserveConfig& o, const Value& v) {
       o.max_app_metrics = static_cast<unsigned>(v.count);
       return string();
     },
     0, 4096},
};

}  // namespace

const Section<Config>& TopLevelKeys() {
  static const Section<Config> s{kTop, kTopSections};
  return s;
}
const Section<ListenConfig>& ListenKeys() {
  static const Section<ListenConfig> s{kListen};
  return s;
}
const Section<LimitsConfig>& LimitsKeys() {
  static const Section<LimitsConfig> s{kLimits};
  return s;
}
const Section<SchedulerConfig>& SchedulerKeys() {
  static const Section<SchedulerConfig> s{kScheduler};
  return s;
}
const Section<Config>& LogKeys() {
  static const Section<Config> s{kLog};
  return s;
}
const Section<ObserveConfig>& MetricsKeys() {
  static const Section<ObserveConfig> s{kMetrics};
  return s;
}

string ParseHostPort(const string& s, ListenConfig& l) {
  auto colon = s.rfind(':');
  if (colon == string::npos || colon == 0 || colon + 1 == s.size()) {
    return "expected host:port, got \"" + s + "\"";
  }
  string host = s.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  unsigned port = 0;
  string p = s.substr(colon + 1);
  auto [end, ec] = std::from_chars(p.data(), p.data() + p.size(), port);
  if (ec != std::errc() || end != p.data() + p.size() || port == 0 || port > 65535) {
    return "invalid port in \"" + s + "\"";
  }
  l.host = host;
  l.port = static_cast<uint16_t>(port);
  return "";
}

}  // namespace spindle::config
