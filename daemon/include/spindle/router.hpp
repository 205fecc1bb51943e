// router.hpp: method + path routing with `{name}` path parameters (public
// app API).
//
// Routes are registered while apps initialise (before the worker serves
// requests) and are read-only afterwards, so lookups need no locking. A
// pattern is a '/'-separated path whose segments are literals or `{name}`
// (matching one non-empty segment); a trailing `/{name...}` matches the rest
// of the path. Matching is exact otherwise (no trailing-slash folding),
// with one exception: the bare path of a mount ("/chat" for an app mounted
// at /chat) that no route matches is answered with a redirect to the mount
// with its slash ("/chat/"): kRedirect.
// Lookup never allocates: path parameters are views into the request path.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace spindle {

class Request;
class Response;

using Handler = std::function<void(Request&, Response&)>;

class Router {
 public:
  struct Route {
    std::string method;  // "GET", ..., or "*" for any method
    std::string pattern;
    Handler handler;
    std::vector<std::string> segments;  // pattern split on '/'
  };

  enum class MatchKind { kFound, kNotFound, kMethodNotAllowed, kRedirect };

  struct Match {
    MatchKind kind = MatchKind::kNotFound;
    const Route* route = nullptr;
    // For kMethodNotAllowed: the methods that would match, for Allow.
    std::string allow;
    // For kRedirect: the mount it names, with its slash ("/chat/"); the
    // server adds the query string.
    std::string location;
  };

  // Registers `handler` for `method` ("*" = any) and `pattern`. Throws
  // std::invalid_argument for a malformed pattern.
  void add(std::string method, std::string pattern, Handler handler);
  void get(std::string pattern, Handler h) { add("GET", std::move(pattern), std::move(h)); }
  void post(std::string pattern, Handler h) { add("POST", std::move(pattern), std::move(h)); }
  void put(std::string pattern, Handler h) { add("PUT", std::move(pattern), std::move(h)); }
  void del(std::string pattern, Handler h) { add("DELETE", std::move(pattern), std::move(h)); }
  void any(std::string pattern, Handler h) { add("*", std::move(pattern), std::move(h)); }

  // Declares an app's mount ("/chat": starts with '/', no trailing '/'), so
  // find() redirects its bare path. The server calls it for every app with
  // a mount other than the root. Throws std::invalid_argument otherwise.
  void add_mount(std::string mount);

  // Finds the route for `method` and `path`; fills `params` with views into
  // `path` (cleared first). A GET route also answers HEAD.
  Match find(std::string_view method, std::string_view path,
             std::vector<std::pair<std::string_view, std::string_view>>& params) const;

  size_t size() const { return routes_.size(); }

 private:
  static bool MatchPath(const Route& route, std::string_view path,
                        std::vector<std::pair<std::string_view, std::string_view>>& params);

  std::vector<Route> routes_;
  std::vector<std::string> mounts_;
};

}  // namespace spindle
