// write_escaped: the table-driven HTML escaper, including values longer than
// its 512-byte stack buffer (entities straddling the flush boundary).
#include <string>

#include <gtest/gtest.h>
#include <spindle/mustache.hpp>

namespace spindle::test {
namespace {

std::string Reference(const std::string& in) {
  std::string out;
  for (char c : in) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

// Counts writes, to check the no-escape fast path is a single write.
class CountingSink : public spindle::Sink {
 public:
  void write(std::string_view b) override {
    out.append(b);
    ++writes;
  }
  std::string out;
  int writes = 0;
};

TEST(MustacheEscape, MatchesAReferenceForAllLengthsAndMixes) {
  const std::string alphabet = "ab<&>\"' \xe3\x83\x95x";
  for (size_t len : {0u, 1u, 7u, 511u, 512u, 513u, 1000u, 5000u}) {
    for (size_t stride : {1u, 3u, 11u}) {
      std::string in;
      for (size_t i = 0; i < len; ++i) in += alphabet[(i * stride) % alphabet.size()];
      CountingSink sink;
      spindle::write_escaped(sink, in);
      ASSERT_EQ(sink.out, Reference(in)) << "len " << len << " stride " << stride;
    }
  }
}

TEST(MustacheEscape, CleanValueIsOneWriteAndEscapedValueIsBuffered) {
  CountingSink clean;
  spindle::write_escaped(clean, std::string(3000, 'x'));
  EXPECT_EQ(clean.writes, 1);
  CountingSink dirty;
  std::string in;
  for (int i = 0; i < 50; ++i) in += "a<b";  // 50 entities, 300 output bytes
  spindle::write_escaped(dirty, in);
  EXPECT_EQ(dirty.out, Reference(in));
  EXPECT_EQ(dirty.writes, 1);
}

}  // namespace
}  // namespace spindle::test
