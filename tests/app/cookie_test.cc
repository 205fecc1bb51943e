// Cookie parsing and Set-Cookie building (<spindle/cookie.hpp>) as pure
// functions: the Cookie header forms clients send (and hostile ones), the
// exact Set-Cookie strings, and every attribute the builder refuses.
// No thread or fiber contract: plain tests.
#include <spindle/cookie.hpp>
#include <spindle/response.hpp>

#include <gtest/gtest.h>

#include <chrono>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace spindle {
namespace {

using namespace std::chrono_literals;
using Pairs = std::vector<std::pair<std::string_view, std::string_view>>;

// --- Parsing ----------------------------------------------------------------

TEST(CookieParse, PairsInOrder) {
  EXPECT_EQ(parse_cookie_header("a=1; b=2; c=3"), (Pairs{{"a", "1"}, {"b", "2"}, {"c", "3"}}));
  EXPECT_EQ(parse_cookie_header("only=one"), (Pairs{{"only", "one"}}));
}

TEST(CookieParse, ToleratesMissingAndExtraWhitespace) {
  EXPECT_EQ(parse_cookie_header("a=1;b=2"), (Pairs{{"a", "1"}, {"b", "2"}}));
  EXPECT_EQ(parse_cookie_header("  a = 1 ;\tb=2\t;   c=3  ; "),
            (Pairs{{"a", "1"}, {"b", "2"}, {"c", "3"}}));
  EXPECT_EQ(parse_cookie_header(";;; a=1;;"), (Pairs{{"a", "1"}}));
}

TEST(CookieParse, QuotedValuesLoseTheirQuotes) {
  EXPECT_EQ(parse_cookie_header("a=\"hello\"; b=\"\"; c=plain"),
            (Pairs{{"a", "hello"}, {"b", ""}, {"c", "plain"}}));
  // Quotes only when they wrap the whole value: a lone or inner quote stays.
  EXPECT_EQ(parse_cookie_header("a=\"; b=x\"y; c=\"open"),
            (Pairs{{"a", "\""}, {"b", "x\"y"}, {"c", "\"open"}}));
  // Whitespace outside the quotes goes, inside stays.
  EXPECT_EQ(*find_cookie("a= \" x \" ", "a"), " x ");
}

TEST(CookieParse, EmptyValuesArePresent) {
  EXPECT_EQ(parse_cookie_header("a=; b=2; c="), (Pairs{{"a", ""}, {"b", "2"}, {"c", ""}}));
  auto v = find_cookie("a=; b=2", "a");
  ASSERT_TRUE(v.has_value());
  EXPECT_EQ(*v, "");
}

TEST(CookieParse, PairsWithoutEqualsOrNameAreSkipped) {
  EXPECT_EQ(parse_cookie_header("junk; a=1; =nameless; b; = ; c=3"),
            (Pairs{{"a", "1"}, {"c", "3"}}));
  EXPECT_FALSE(find_cookie("junk", "junk").has_value());
  EXPECT_TRUE(parse_cookie_header("").empty());
  EXPECT_TRUE(parse_cookie_header("=").empty());
  EXPECT_TRUE(parse_cookie_header(" ; ;").empty());
}

TEST(CookieParse, ValueKeepsLaterEquals) {
  EXPECT_EQ(*find_cookie("tok=abc==; x=1", "tok"), "abc==");
  EXPECT_EQ(*find_cookie("a=b=c", "a"), "b=c");
}

TEST(CookieParse, FirstOccurrenceWinsAndNamesAreCaseSensitive) {
  EXPECT_EQ(parse_cookie_header("a=1; a=2"), (Pairs{{"a", "1"}, {"a", "2"}}));
  EXPECT_EQ(*find_cookie("a=1; a=2", "a"), "1");
  EXPECT_EQ(*find_cookie("A=upper; a=lower", "a"), "lower");
  EXPECT_FALSE(find_cookie("A=upper", "a").has_value());
  // A name that is a prefix or suffix of another is not it.
  EXPECT_FALSE(find_cookie("session_id=1; xsession=2", "session").has_value());
}

TEST(CookieParse, NonAsciiBytesPassThrough) {
  const std::string header = "name=caf\xc3\xa9; \xff\xfe=\x80\x81; ctl=a\x01z";
  EXPECT_EQ(parse_cookie_header(header),
            (Pairs{{"name", "caf\xc3\xa9"}, {"\xff\xfe", "\x80\x81"}, {"ctl", "a\x01z"}}));
  EXPECT_EQ(*find_cookie(header, "\xff\xfe"), "\x80\x81");
}

TEST(CookieParse, HugeHeaders) {
  // 100k pairs before the one asked for: one linear pass finds it.
  std::string many;
  for (int i = 0; i < 100000; ++i) many += "k" + std::to_string(i) + "=v; ";
  many += "wanted=yes";
  EXPECT_EQ(*find_cookie(many, "wanted"), "yes");
  EXPECT_EQ(parse_cookie_header(many).size(), 100001u);
  // One 4 MiB value, and 4 MiB of separators with nothing between them.
  const std::string big(4 << 20, 'x');
  EXPECT_EQ(find_cookie("a=" + big + "; b=1", "a")->size(), big.size());
  EXPECT_EQ(*find_cookie(std::string(4 << 20, ';') + "b=1", "b"), "1");
  EXPECT_FALSE(find_cookie(std::string(4 << 20, '='), "b").has_value());
}

TEST(CookieParse, EveryCookieHeaderIsSearchedInOrder) {
  const std::vector<Field> headers = {
      {"Host", "example.com"},
      {"Set-Cookie", "a=not-a-request-cookie"},  // not a Cookie header
      {"X-Cookie", "a=nor-this"},
      {"cookie", "b=1; a=first"},
      {"COOKIE", "a=second; c=3"},
      {"Cookie", "d=4"},
  };
  EXPECT_EQ(*cookie(headers, "a"), "first");
  EXPECT_EQ(*cookie(headers, "c"), "3");
  EXPECT_EQ(*cookie(headers, "d"), "4");
  EXPECT_FALSE(cookie(headers, "host").has_value());
  EXPECT_FALSE(cookie(std::vector<Field>{}, "a").has_value());
}

// --- Building ---------------------------------------------------------------

// 1994-11-06 08:49:37 UTC, RFC 7231's example date.
const auto kRfcDate = std::chrono::system_clock::time_point(784111777s);

TEST(HttpDate, ImfFixdate) {
  EXPECT_EQ(http_date(kRfcDate), "Sun, 06 Nov 1994 08:49:37 GMT");
  EXPECT_EQ(http_date(std::chrono::system_clock::time_point()), "Thu, 01 Jan 1970 00:00:00 GMT");
  // Sub-second parts are cut, also before the epoch (floor, not toward zero).
  EXPECT_EQ(http_date(kRfcDate + 999ms), "Sun, 06 Nov 1994 08:49:37 GMT");
  EXPECT_EQ(http_date(std::chrono::system_clock::time_point(-1ms)),
            "Wed, 31 Dec 1969 23:59:59 GMT");
  EXPECT_EQ(http_date(std::chrono::system_clock::time_point(951782400s)),  // leap day
            "Tue, 29 Feb 2000 00:00:00 GMT");
}

TEST(SetCookieFormat, Minimal) {
  EXPECT_EQ(format_set_cookie({.name = "a", .value = "b"}), "a=b");
  EXPECT_EQ(format_set_cookie({.name = "empty", .value = ""}), "empty=");
}

TEST(SetCookieFormat, EveryAttributeInOrder) {
  SetCookie c{.name = "id",
              .value = "a3fWa",
              .path = "/app",
              .domain = "example.com",
              .max_age = 3600s,
              .expires = kRfcDate,
              .secure = true,
              .http_only = true,
              .same_site = SameSite::kStrict};
  EXPECT_EQ(format_set_cookie(c),
            "id=a3fWa; Expires=Sun, 06 Nov 1994 08:49:37 GMT; Max-Age=3600; "
            "Domain=example.com; Path=/app; Secure; HttpOnly; SameSite=Strict");
}

TEST(SetCookieFormat, SameSiteValues) {
  EXPECT_EQ(format_set_cookie({.name = "a", .value = "1", .same_site = SameSite::kLax}),
            "a=1; SameSite=Lax");
  EXPECT_EQ(format_set_cookie({.name = "a", .value = "1", .secure = true,
                               .same_site = SameSite::kNone}),
            "a=1; Secure; SameSite=None");
  EXPECT_EQ(format_set_cookie({.name = "a", .value = "1", .same_site = SameSite::kUnset}), "a=1");
}

TEST(SetCookieFormat, ValuesAtTheEdgesOfCookieOctet) {
  // Every cookie-octet, in one value, and wrapped in quotes.
  std::string all;
  for (int c = 0x21; c <= 0x7e; ++c) {
    if (c != '"' && c != ',' && c != ';' && c != '\\') all += static_cast<char>(c);
  }
  EXPECT_EQ(format_set_cookie({.name = "a", .value = all}), "a=" + all);
  EXPECT_EQ(format_set_cookie({.name = "a", .value = "\"" + all + "\""}), "a=\"" + all + "\"");
  EXPECT_EQ(format_set_cookie({.name = "a", .value = "\"\""}), "a=\"\"");
  // Every tchar in a name.
  EXPECT_EQ(format_set_cookie({.name = "!#$%&'*+-.^_`|~aZ09", .value = "v"}),
            "!#$%&'*+-.^_`|~aZ09=v");
  EXPECT_EQ(format_set_cookie({.name = "a", .value = "1", .max_age = 0s}), "a=1; Max-Age=0");
}

TEST(SetCookieFormat, PrefixedNames) {
  EXPECT_EQ(format_set_cookie({.name = "__Host-id", .value = "1", .path = "/", .secure = true}),
            "__Host-id=1; Path=/; Secure");
  EXPECT_EQ(format_set_cookie({.name = "__Secure-id", .value = "1", .domain = "example.com",
                               .secure = true}),
            "__Secure-id=1; Domain=example.com; Secure");
}

TEST(SetCookieFormat, ExpiredCookie) {
  EXPECT_EQ(format_set_cookie(expired_cookie("theme")),
            "theme=; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; Path=/");
  EXPECT_EQ(format_set_cookie(expired_cookie("theme", "/app", "example.com")),
            "theme=; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; Domain=example.com; "
            "Path=/app");
  EXPECT_EQ(format_set_cookie(expired_cookie("__Host-id")),
            "__Host-id=; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; Path=/; Secure");
  EXPECT_TRUE(expired_cookie("__Secure-x").secure);
  EXPECT_FALSE(expired_cookie("x").secure);
}

// --- Rejections -------------------------------------------------------------

// The message of the std::invalid_argument format_set_cookie throws, or a
// failure when it throws nothing.
std::string Rejection(const SetCookie& c) {
  try {
    std::string header = format_set_cookie(c);
    ADD_FAILURE() << "accepted: " << header;
  } catch (const std::invalid_argument& e) {
    const std::string what = e.what();
    // A message quotes hostile bytes escaped: it never splits a log line.
    EXPECT_EQ(what.find_first_of(std::string("\r\n\0", 3)), std::string::npos) << what;
    return what;
  }
  return {};
}

TEST(SetCookieReject, NamesThatAreNotTokens) {
  for (const std::string& name :
       {std::string(), std::string("a b"), std::string("a;b"), std::string("a=b"),
        std::string("a,b"), std::string("(a)"), std::string("a\"b"), std::string("a\rb"),
        std::string("a\nb"), std::string("a\tb"), std::string("caf\xc3\xa9"),
        std::string("a\0b", 3), std::string("a/b"), std::string("a:b"), std::string("[a]")}) {
    SCOPED_TRACE(testing::PrintToString(name));
    EXPECT_NE(Rejection({.name = name, .value = "v"}).find("not an HTTP token"),
              std::string::npos);
  }
}

TEST(SetCookieReject, ValueBytesOutsideCookieOctet) {
  for (const std::string& value :
       {std::string("a\rb"), std::string("a\nb"), std::string("a\r\nSet-Cookie: x=y"),
        std::string("a;b"), std::string("a b"), std::string("a,b"), std::string("a\\b"),
        std::string("a\"b"), std::string("\""), std::string("\"abc"), std::string("abc\""),
        std::string("\"a\"b\""), std::string("\"a;b\""), std::string("a\x7f"),
        std::string("a\0b", 3), std::string("a\tb"), std::string("caf\xc3\xa9"),
        std::string("\x80"), std::string("\x01")}) {
    SCOPED_TRACE(testing::PrintToString(value));
    EXPECT_NE(Rejection({.name = "n", .value = value}).find("not a cookie-octet"),
              std::string::npos);
  }
}

TEST(SetCookieReject, PathAndDomainWithControlsOrSemicolons) {
  for (const std::string& bad :
       {std::string("/a;b"), std::string("/a\r\nX: y"), std::string("/a\n"),
        std::string("/\x01"), std::string("/\x7f"), std::string("/caf\xc3\xa9"),
        std::string("/a\0", 3), std::string("/a\t")}) {
    SCOPED_TRACE(testing::PrintToString(bad));
    EXPECT_NE(Rejection({.name = "n", .value = "v", .path = bad}).find("path"),
              std::string::npos);
    EXPECT_NE(Rejection({.name = "n", .value = "v", .domain = bad}).find("domain"),
              std::string::npos);
  }
  // A space is a CHAR: allowed in a path (RFC 6265 §4.1.1).
  EXPECT_EQ(format_set_cookie({.name = "n", .value = "v", .path = "/a b"}), "n=v; Path=/a b");
}

TEST(SetCookieReject, NegativeMaxAge) {
  EXPECT_NE(Rejection({.name = "n", .value = "v", .max_age = -1s}).find("max_age"),
            std::string::npos);
}

TEST(SetCookieReject, SameSiteNoneWithoutSecure) {
  const std::string what = Rejection({.name = "n", .value = "v", .same_site = SameSite::kNone});
  EXPECT_NE(what.find("SameSite=None requires secure"), std::string::npos) << what;
  EXPECT_NE(what.find("cookie \"n\""), std::string::npos) << what;
}

TEST(SetCookieReject, PrefixRules) {
  EXPECT_NE(Rejection({.name = "__Secure-a", .value = "v"}).find("__Secure-"), std::string::npos);
  EXPECT_NE(Rejection({.name = "__Host-a", .value = "v", .path = "/"}).find("__Host-"),
            std::string::npos);
  EXPECT_NE(Rejection({.name = "__Host-a", .value = "v", .path = "/x", .secure = true})
                .find("__Host-"),
            std::string::npos);
  EXPECT_NE(Rejection({.name = "__Host-a", .value = "v", .path = "/", .domain = "example.com",
                       .secure = true})
                .find("__Host-"),
            std::string::npos);
  EXPECT_NE(Rejection({.name = "__Host-a", .value = "v", .secure = true}).find("__Host-"),
            std::string::npos);  // no path at all is not "/"
}

TEST(SetCookieReject, SetCookieThrowsBeforeTouchingTheResponse) {
  Response res;  // not attached to a connection: add_header still works
  EXPECT_THROW(set_cookie(res, {.name = "n", .value = "a;b"}), std::invalid_argument);
  EXPECT_THROW(delete_cookie(res, "bad name"), std::invalid_argument);
  EXPECT_NO_THROW(set_cookie(res, {.name = "n", .value = "ok"}));
  EXPECT_NO_THROW(delete_cookie(res, "n"));
}

}  // namespace
}  // namespace spindle
