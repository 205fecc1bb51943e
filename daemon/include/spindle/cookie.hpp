// cookie.hpp: HTTP cookies for handlers (public app API): reading the
// request's Cookie headers (RFC 6265 §4.2, §5.4) and building Set-Cookie
// header values (§4.1) with the attributes validated before they reach the
// client.
//
//   if (auto theme = spindle::cookie(req, "theme")) ...;
//   spindle::set_cookie(res, {.name = "theme", .value = "dark",
//                             .max_age = std::chrono::days(365)});
//   spindle::delete_cookie(res, "theme");
//
// No thread or fiber contract: pure functions (set_cookie and delete_cookie
// only add a header to the Response; nothing suspends). string_views returned
// point into the header value they were parsed from (for cookie(req, ...):
// into the Request, valid during the handler call only).
#pragma once

#include <spindle/request.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace spindle {

class Response;

// --- Reading ---------------------------------------------------------------
//
// A Cookie header value is "name=value" pairs separated by ';' (clients send
// "; "; spaces and tabs around pairs, names and values are ignored). A value
// wrapped in double quotes comes back without them. Pairs without '=' or
// with an empty name are skipped. Names are case-sensitive; bytes outside
// ASCII are passed through untouched (nothing is decoded).

// Every pair of one Cookie header value, in order (duplicates kept).
std::vector<std::pair<std::string_view, std::string_view>> parse_cookie_header(
    std::string_view header_value);

// The first cookie called `name` in one Cookie header value.
std::optional<std::string_view> find_cookie(std::string_view header_value,
                                            std::string_view name);

// The first cookie called `name` in every Cookie header of `headers`, in
// arrival order (header names compared case-insensitively): a name sent twice
// gives the first value.
std::optional<std::string_view> cookie(const std::vector<Field>& headers,
                                       std::string_view name);
// The same on a request's headers.
std::optional<std::string_view> cookie(const Request& req, std::string_view name);

// --- Writing ---------------------------------------------------------------

enum class SameSite { kUnset, kLax, kStrict, kNone };

// One Set-Cookie header. Empty path/domain and unset max_age/expires are left
// out of the header (a session cookie for the request's path and host).
// Every member has an initializer, so designated initializers may leave any
// out without -Wmissing-field-initializers.
struct SetCookie {
  std::string name{};
  std::string value{};
  std::string path{};
  std::string domain{};
  std::optional<std::chrono::seconds> max_age{};
  std::optional<std::chrono::system_clock::time_point> expires{};
  bool secure = false;
  bool http_only = false;
  SameSite same_site = SameSite::kUnset;
};

// The header value, e.g. "id=a3f; Expires=Sun, 06 Nov 1994 08:49:37 GMT;
// Max-Age=3600; Domain=example.com; Path=/; Secure; HttpOnly; SameSite=Lax".
// Throws std::invalid_argument (the message names the cookie and the rule)
// when:
//  - the name is not an HTTP token (RFC 7230: letters, digits, !#$%&'*+-.^_`|~);
//  - the value has a byte outside cookie-octets (no CTLs, space, '"', ',',
//    ';', '\\' or non-ASCII), except for one pair of wrapping double quotes;
//  - path or domain has a control character, ';' or a non-ASCII byte;
//  - max_age is negative, or expires is outside the years 1601..9999;
//  - same_site is kNone without secure (browsers drop such a cookie);
//  - the name starts with "__Secure-" without secure, or with "__Host-"
//    without secure, with a domain, or with a path other than "/".
std::string format_set_cookie(const SetCookie& cookie);

// Adds the Set-Cookie header (format_set_cookie's value) to `res`, keeping
// other Set-Cookie headers. Throws std::invalid_argument as above, and
// std::logic_error once the head was sent.
void set_cookie(Response& res, const SetCookie& cookie);

// A Set-Cookie that makes the client drop cookie `name`: an empty value,
// Max-Age=0 and an Expires in the past (1 Jan 1970). path and domain must
// be the ones the cookie was set with; names with a __Secure- or __Host-
// prefix get Secure.
SetCookie expired_cookie(std::string_view name, std::string_view path = "/",
                         std::string_view domain = {});
// set_cookie(res, expired_cookie(name, path, domain)).
void delete_cookie(Response& res, std::string_view name, std::string_view path = "/",
                   std::string_view domain = {});

// The IMF-fixdate of RFC 7231 §7.1.1.1: "Sun, 06 Nov 1994 08:49:37 GMT"
// (second precision, truncated). Throws std::invalid_argument outside the
// years 1601..9999.
std::string http_date(std::chrono::system_clock::time_point t);

}  // namespace spindle
