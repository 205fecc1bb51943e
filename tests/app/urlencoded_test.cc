// application/x-www-form-urlencoded decoding (form.hpp): the encodings,
// multi-valued and empty fields, malformed escapes (400, never guessed at),
// each limit at and past its value (413), and the incremental decoder fed
// in every split, which must give what one piece gives.
#include "app/urlencoded.hpp"

#include <spindle/errors.hpp>
#include <spindle/form.hpp>

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

namespace spindle::test {
namespace {

using Pairs = std::vector<std::pair<std::string, std::string>>;

Pairs PairsOf(const Form& form) {
  Pairs out;
  for (const FormField& f : form) out.emplace_back(f.name, f.value);
  return out;
}

Pairs Parse(std::string_view text, const FormLimits& limits = {}) {
  return PairsOf(parse_urlencoded(text, limits));
}

// The status of the HttpError parsing `text` throws (0 when none).
int StatusOf(std::string_view text, const FormLimits& limits = {}) {
  try {
    parse_urlencoded(text, limits);
  } catch (const HttpError& e) {
    return e.status();
  }
  return 0;
}

TEST(Urlencoded, NamesAndValuesInOrder) {
  EXPECT_EQ(Parse("a=1&b=2&c=3"), (Pairs{{"a", "1"}, {"b", "2"}, {"c", "3"}}));
  EXPECT_EQ(Parse("x=a=b=c"), (Pairs{{"x", "a=b=c"}}));  // only the first '=' splits
}

TEST(Urlencoded, PlusAndPercentEscapes) {
  EXPECT_EQ(Parse("q=a+b%20c"), (Pairs{{"q", "a b c"}}));
  EXPECT_EQ(Parse("q=1%2B1"), (Pairs{{"q", "1+1"}}));  // an encoded '+' stays a '+'
  EXPECT_EQ(Parse("q=%41%4a%4A"), (Pairs{{"q", "AJJ"}}));  // either case of hex
  EXPECT_EQ(Parse("a%26b=c%3Dd"), (Pairs{{"a&b", "c=d"}}));  // encoded separators are data
  EXPECT_EQ(Parse("first+name=J%C3%BCrgen"), (Pairs{{"first name", "J\xc3\xbcrgen"}}));
  EXPECT_EQ(Parse("z=%00"), (Pairs{{"z", std::string(1, '\0')}}));
  // Bytes are passed as they are (no UTF-8 check).
  EXPECT_EQ(Parse("raw=\xff%FE"), (Pairs{{"raw", "\xff\xfe"}}));
}

TEST(Urlencoded, EmptyNamesValuesAndPairs) {
  EXPECT_TRUE(Parse("").empty());
  EXPECT_TRUE(Parse("&&&").empty());
  EXPECT_EQ(Parse("a=1&&b=2&"), (Pairs{{"a", "1"}, {"b", "2"}}));
  EXPECT_EQ(Parse("flag"), (Pairs{{"flag", ""}}));
  EXPECT_EQ(Parse("a="), (Pairs{{"a", ""}}));
  EXPECT_EQ(Parse("=v"), (Pairs{{"", "v"}}));
  EXPECT_EQ(Parse("="), (Pairs{{"", ""}}));
  EXPECT_EQ(Parse("+=+"), (Pairs{{" ", " "}}));
}

TEST(Urlencoded, MultiValuedFields) {
  Form form = parse_urlencoded("tag=a&x=1&tag=b&tag=&y");
  EXPECT_EQ(form.get("tag"), "a");  // the first
  EXPECT_EQ(form.all("tag"), (std::vector<std::string>{"a", "b", ""}));
  EXPECT_TRUE(form.all("none").empty());
  EXPECT_EQ(form.get("none"), std::nullopt);
  EXPECT_EQ(form.get("y"), "");
  EXPECT_TRUE(form.contains("y"));
  EXPECT_FALSE(form.contains("Y"));  // names are case-sensitive
  EXPECT_EQ(form.size(), 5u);
}

TEST(Urlencoded, InvalidPercentEscapesAre400) {
  for (const char* bad : {"a=%", "a=%4", "a=%zz", "a=%4g", "a=%g4", "%=1", "a=1%&b=2",
                          "a=%%41", "a=%-1", "a=% 1"}) {
    EXPECT_EQ(StatusOf(bad), 400) << bad;
  }
  try {
    parse_urlencoded("ok=1&bad=%x1");
    FAIL() << "no error";
  } catch (const HttpError& e) {
    EXPECT_STREQ(e.what(), "malformed form body: invalid percent-escape at byte 10");
  }
}

TEST(Urlencoded, BodyLimit) {
  FormLimits l;
  l.max_body = 8;
  EXPECT_EQ(Parse("a=123456", l), (Pairs{{"a", "123456"}}));
  EXPECT_EQ(StatusOf("a=1234567", l), 413);
}

TEST(Urlencoded, FieldCountLimit) {
  FormLimits l;
  l.max_fields = 3;
  EXPECT_EQ(Parse("a&b&c", l).size(), 3u);
  EXPECT_EQ(Parse("a&b&c&&", l).size(), 3u);  // empty pairs are not fields
  EXPECT_EQ(StatusOf("a&b&c&d", l), 413);
  // 100k empty-ish fields against the default limit of 1000.
  std::string many;
  for (int i = 0; i < 100000; ++i) many += "f=&";
  EXPECT_EQ(StatusOf(many), 413);
}

TEST(Urlencoded, ValueAndNameLimitsCountDecodedBytes) {
  FormLimits l;
  l.max_field_size = 3;
  l.max_name_size = 2;
  EXPECT_EQ(Parse("ab=%41%42%43", l), (Pairs{{"ab", "ABC"}}));  // 9 bytes sent, 3 decoded
  EXPECT_EQ(StatusOf("ab=%41%42%43%44", l), 413);
  EXPECT_EQ(StatusOf("abc=1", l), 413);
  EXPECT_EQ(StatusOf("a%42%43", l), 413);
  // The default value limit: 64 KiB.
  EXPECT_EQ(Parse("v=" + std::string(64 << 10, 'x')).at(0).second.size(), size_t{64 << 10});
  EXPECT_EQ(StatusOf("v=" + std::string((64 << 10) + 1, 'x')), 413);
}

// Splitting the input anywhere (inside an escape, between '%' and its
// digits, on a separator) gives what one piece gives.
TEST(Urlencoded, IncrementalDecoderAtEverySplit) {
  const std::string text = "na%6De=J%C3%BCrgen+M&empty=&&x&t=%2B1&t=a%3db&last=%7e";
  const Pairs whole = Parse(text);
  ASSERT_EQ(whole.size(), 6u);
  for (size_t a = 0; a <= text.size(); ++a) {
    for (size_t b = a; b <= text.size(); ++b) {
      app::UrlencodedDecoder d{FormLimits{}};
      d.Feed(std::string_view(text).substr(0, a));
      d.Feed(std::string_view(text).substr(a, b - a));
      d.Feed(std::string_view(text).substr(b));
      ASSERT_EQ(PairsOf(d.Finish()), whole) << "split at " << a << " and " << b;
    }
  }
  // A '%' whose digits never come is malformed however the input ends.
  app::UrlencodedDecoder d{FormLimits{}};
  d.Feed("a=%4");
  EXPECT_THROW(d.Finish(), HttpError);
}

// The body limit counts every piece, not only the largest.
TEST(Urlencoded, IncrementalDecoderCountsTheWholeBody) {
  FormLimits l;
  l.max_body = 10;
  app::UrlencodedDecoder d(l);
  d.Feed("a=1234");
  d.Feed("&b=1");
  try {
    d.Feed("2");
    FAIL() << "11 bytes accepted";
  } catch (const HttpError& e) {
    EXPECT_EQ(e.status(), 413);
  }
}

}  // namespace
}  // namespace spindle::test
