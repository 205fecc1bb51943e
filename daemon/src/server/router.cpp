// router.cpp: Router (public app API). Registration happens during app init;
// find() runs per request and allocates only to build a 405's Allow list or
// a bare mount's redirect.
#include <spindle/router.hpp>

#include <stdexcept>

namespace spindle {
namespace {

bool IsParam(std::string_view seg) {
  return seg.size() >= 3 && seg.front() == '{' && seg.back() == '}';
}

bool IsRestParam(std::string_view seg) {
  return IsParam(seg) && seg.size() > 5 && seg.substr(seg.size() - 4) == "...}";
}

}  // namespace

void Router::add(std::string method, std::string pattern, Handler handler) {
  if (pattern.empty() || pattern[0] != '/') {
    throw std::invalid_argument("route pattern \"" + pattern + "\" must start with '/'");
  }
  if (method.empty()) throw std::invalid_argument("route method must not be empty");
  if (!handler) throw std::invalid_argument("route handler must not be empty");
  Route r;
  std::string_view rest = std::string_view(pattern).substr(1);
  for (;;) {
    size_t slash = rest.find('/');
    std::string_view seg = rest.substr(0, slash);
    if (seg.find_first_of("{}") != std::string_view::npos && !IsParam(seg)) {
      throw std::invalid_argument("route pattern \"" + pattern +
                                  "\": a segment is either a literal or {name}");
    }
    if (IsRestParam(seg) && slash != std::string_view::npos) {
      throw std::invalid_argument("route pattern \"" + pattern +
                                  "\": {name...} must be the last segment");
    }
    r.segments.emplace_back(seg);
    if (slash == std::string_view::npos) break;
    rest = rest.substr(slash + 1);
  }
  r.method = std::move(method);
  r.pattern = std::move(pattern);
  r.handler = std::move(handler);
  routes_.push_back(std::move(r));
}

void Router::add_mount(std::string mount) {
  if (mount.size() < 2 || mount[0] != '/' || mount.back() == '/') {
    throw std::invalid_argument("mount \"" + mount + "\" must start with '/' and not end with it");
  }
  mounts_.push_back(std::move(mount));
}

bool Router::MatchPath(const Route& route, std::string_view path,
                       std::vector<std::pair<std::string_view, std::string_view>>& params) {
  params.clear();
  if (path.empty() || path[0] != '/') return false;
  size_t pos = 1;
  for (const std::string& seg : route.segments) {
    if (pos > path.size()) return false;
    if (IsRestParam(seg)) {
      std::string_view value = path.substr(pos);
      if (value.empty()) return false;
      params.emplace_back(std::string_view(seg).substr(1, seg.size() - 5), value);
      return true;
    }
    size_t end = path.find('/', pos);
    if (end == std::string_view::npos) end = path.size();
    std::string_view piece = path.substr(pos, end - pos);
    if (IsParam(seg)) {
      if (piece.empty()) return false;
      params.emplace_back(std::string_view(seg).substr(1, seg.size() - 2), piece);
    } else if (piece != seg) {
      return false;
    }
    pos = end + 1;
  }
  return pos == path.size() + 1;
}

Router::Match Router::find(
    std::string_view method, std::string_view path,
    std::vector<std::pair<std::string_view, std::string_view>>& params) const {
  Match m;
  const Route* path_match = nullptr;
  for (const Route& r : routes_) {
    if (!MatchPath(r, path, params)) continue;
    if (r.method == "*" || r.method == method || (method == "HEAD" && r.method == "GET")) {
      m.kind = MatchKind::kFound;
      m.route = &r;
      return m;
    }
    if (path_match == nullptr) path_match = &r;
  }
  params.clear();
  if (path_match == nullptr) {
    for (const std::string& mount : mounts_) {
      if (path != mount) continue;
      m.kind = MatchKind::kRedirect;
      m.location = mount + "/";
      break;
    }
    return m;
  }
  // 405: list every method some route with this path accepts.
  m.kind = MatchKind::kMethodNotAllowed;
  auto add = [&m](std::string_view method_name) {
    size_t pos = 0;
    while (pos < m.allow.size()) {
      size_t comma = m.allow.find(", ", pos);
      if (comma == std::string::npos) comma = m.allow.size();
      if (std::string_view(m.allow).substr(pos, comma - pos) == method_name) return;
      pos = comma + 2;
    }
    if (!m.allow.empty()) m.allow += ", ";
    m.allow += method_name;
  };
  std::vector<std::pair<std::string_view, std::string_view>> scratch;
  for (const Route& r : routes_) {
    if (!MatchPath(r, path, scratch)) continue;
    add(r.method);
    if (r.method == "GET") add("HEAD");
  }
  return m;
}

}  // namespace spindle
