// <spindle/text.hpp>: UTF-8 validity and code-point counts at every
// boundary of the encoding (and the invalid forms just past them), trimming,
// control characters.
#include <spindle/text.hpp>

#include <gtest/gtest.h>

#include <string>

namespace spindle::test {
namespace {

TEST(Text, Utf8LengthCountsCodePoints) {
  EXPECT_EQ(utf8_length(""), 0u);
  EXPECT_EQ(utf8_length("abc"), 3u);
  EXPECT_EQ(utf8_length("h\xc3\xa9"), 2u);              // é
  EXPECT_EQ(utf8_length("\xe6\x97\xa5\xe6\x9c\xac"), 2u);  // 日本
  EXPECT_EQ(utf8_length("\xf0\x9f\x98\x80"), 1u);        // U+1F600
  EXPECT_EQ(utf8_length(std::string_view("a\0b", 3)), 3u);
  EXPECT_EQ(utf8_length("\x7f\xc2\x80\xdf\xbf\xe0\xa0\x80\xef\xbf\xbf\xf0\x90\x80\x80\xf4\x8f\xbf\xbf"),
            7u);  // the first and last code point of each length
}

TEST(Text, InvalidUtf8IsNullopt) {
  for (std::string_view bad : {"\x80", "\xbf", "\xc3", "\xc3(", "\xe6\x97", "\xf0\x9f\x98",
                               "\xc0\xaf", "\xc1\xbf",          // overlong 2-byte
                               "\xe0\x80\xaf", "\xf0\x80\x80\xaf",  // overlong 3- and 4-byte
                               "\xed\xa0\x80", "\xed\xbf\xbf",  // surrogates
                               "\xf4\x90\x80\x80", "\xf8\x88\x80\x80\x80", "\xff", "\xfe",
                               "ok\xc3"}) {
    EXPECT_FALSE(utf8_length(bad)) << testing::PrintToString(std::string(bad));
    EXPECT_FALSE(valid_utf8(bad));
  }
}

TEST(Text, TrimAndControlCharacters) {
  EXPECT_EQ(trim("  a b \t\r\n"), "a b");
  EXPECT_EQ(trim(" \n "), "");
  EXPECT_EQ(trim("x"), "x");
  EXPECT_FALSE(has_control_chars("plain text"));
  EXPECT_TRUE(has_control_chars("a\nb"));
  EXPECT_FALSE(has_control_chars("a\r\n\tb", true));
  EXPECT_TRUE(has_control_chars(std::string_view("a\0b", 3), true));
  EXPECT_TRUE(has_control_chars("a\x7f", true));
  EXPECT_TRUE(has_control_chars("\x1b[31m", true));
}

}  // namespace
}  // namespace spindle::test
