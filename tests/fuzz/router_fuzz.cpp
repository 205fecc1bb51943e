// router_fuzz.cpp: fuzzes the router (daemon/src/server/router.cpp) and
// UrlDecode (request.cpp). The input is lines: "<m><pattern>" adds a route
// until an empty line, then "<m><path>" looks paths up (<m> is one byte that
// picks the method). Properties:
//   - add() accepts a pattern or throws std::invalid_argument, nothing else;
//   - find() agrees with an independent matcher written here: the first
//     route (in registration order) whose pattern matches and whose method
//     fits is found, with its {params} as views into the path; otherwise a
//     405 lists, once each, the methods of every route whose pattern matches
//     (HEAD with GET), or it is a 404;
//   - UrlDecode of every byte percent-encoded gives the bytes back, and a
//     string without '%' (and '+', when it means space) decodes to itself.
#include <spindle/request.hpp>
#include <spindle/router.hpp>

#include <cctype>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "fuzz_check.h"

namespace {

using Params = std::vector<std::pair<std::string_view, std::string_view>>;

const char* const kMethods[] = {"GET", "POST", "HEAD", "*", "PUT", "DELETE"};

struct RefRoute {
  std::string method, pattern;
};

std::vector<std::string_view> Split(std::string_view s) {
  std::vector<std::string_view> out;
  for (;;) {
    size_t slash = s.find('/');
    out.push_back(s.substr(0, slash));
    if (slash == std::string_view::npos) return out;
    s = s.substr(slash + 1);
  }
}

bool IsParam(std::string_view seg) {
  return seg.size() >= 3 && seg.front() == '{' && seg.back() == '}';
}

bool IsRest(std::string_view seg) {
  return IsParam(seg) && seg.size() >= 6 && seg.substr(seg.size() - 4) == "...}";
}

// The reference matcher: segment by segment over the path's '/'-split.
bool RefMatch(std::string_view pattern, std::string_view path, Params& params) {
  params.clear();
  if (path.empty() || path[0] != '/') return false;
  std::vector<std::string_view> pat = Split(pattern.substr(1));
  std::vector<std::string_view> segs = Split(path.substr(1));
  for (size_t i = 0; i < pat.size(); ++i) {
    if (IsRest(pat[i])) {
      if (i >= segs.size()) return false;
      // the rest of the path from this segment on
      std::string_view value(segs[i].data(), path.data() + path.size() - segs[i].data());
      if (value.empty()) return false;
      params.emplace_back(pat[i].substr(1, pat[i].size() - 5), value);
      return true;
    }
    if (i >= segs.size()) return false;
    if (IsParam(pat[i])) {
      if (segs[i].empty()) return false;
      params.emplace_back(pat[i].substr(1, pat[i].size() - 2), segs[i]);
    } else if (pat[i] != segs[i]) {
      return false;
    }
  }
  return pat.size() == segs.size();
}

bool MethodFits(std::string_view route, std::string_view method) {
  return route == "*" || route == method || (method == "HEAD" && route == "GET");
}

void CheckUrlDecode(std::string_view s) {
  static const char kHex[] = "0123456789ABCDEF";
  std::string encoded;
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    encoded += '%';
    encoded += kHex[u >> 4];
    encoded += (u & 1) ? kHex[u & 15] : static_cast<char>(std::tolower(kHex[u & 15]));
  }
  CHECK(spindle::UrlDecode(encoded) == s);
  CHECK(spindle::UrlDecode(encoded, true) == s);
  std::string decoded = spindle::UrlDecode(s, true);
  CHECK(decoded.size() <= s.size());
  if (s.find('%') == std::string_view::npos) {
    CHECK(spindle::UrlDecode(s) == s);
    std::string spaced(s);
    for (char& c : spaced) if (c == '+') c = ' ';
    CHECK(decoded == spaced);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  spindle::Router router;
  std::vector<RefRoute> ref;
  bool adding = true;
  Params params, ref_params;
  while (!in.empty()) {
    size_t nl = in.find('\n');
    std::string_view line = in.substr(0, nl);
    in = nl == std::string_view::npos ? std::string_view() : in.substr(nl + 1);
    if (line.empty()) {
      adding = false;
      continue;
    }
    const std::string method = kMethods[static_cast<unsigned char>(line[0]) % 6];
    std::string_view rest = line.substr(1);
    CheckUrlDecode(rest);
    if (adding) {
      try {
        router.add(method, std::string(rest), [](spindle::Request&, spindle::Response&) {});
        CHECK(!rest.empty() && rest[0] == '/');
        ref.push_back({method, std::string(rest)});
      } catch (const std::invalid_argument&) {
      }
      CHECK(router.size() == ref.size());
      continue;
    }
    spindle::Router::Match m = router.find(method, rest, params);
    const RefRoute* found = nullptr;
    std::vector<std::string> allow;
    for (const RefRoute& r : ref) {
      if (!RefMatch(r.pattern, rest, ref_params)) continue;
      if (MethodFits(r.method, method)) {
        found = &r;
        break;
      }
      for (std::string m2 : {r.method, std::string(r.method == "GET" ? "HEAD" : "")}) {
        if (m2.empty()) continue;
        bool seen = false;
        for (const std::string& a : allow) seen = seen || a == m2;
        if (!seen) allow.push_back(m2);
      }
    }
    if (found) {
      CHECK(m.kind == spindle::Router::MatchKind::kFound);
      CHECK(m.route->pattern == found->pattern && m.route->method == found->method);
      CHECK(params == ref_params);
      for (const auto& [name, value] : params) {
        CHECK(value.data() >= rest.data() && value.data() + value.size() <= rest.data() + rest.size());
      }
    } else if (!allow.empty()) {
      CHECK(m.kind == spindle::Router::MatchKind::kMethodNotAllowed);
      std::string joined;
      for (const std::string& a : allow) joined += (joined.empty() ? "" : ", ") + a;
      CHECK(m.allow == joined);
      CHECK(params.empty());
    } else {
      CHECK(m.kind == spindle::Router::MatchKind::kNotFound);
      CHECK(params.empty());
    }
  }
  return 0;
}
