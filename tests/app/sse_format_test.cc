// format_event (<spindle/sse.hpp>): the bytes of one server-sent event, as
// the WHATWG event-stream grammar reads them: one data: line per line of the
// data (LF, CRLF and CR all end a line), id:/event:/retry: lines, the blank
// line, and refusals of fields that would break the framing.
#include <spindle/sse.hpp>

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

namespace spindle::test {
namespace {

using namespace std::chrono_literals;

std::string Data(std::string_view data) { return format_event({data, {}, {}, std::nullopt}); }

TEST(SseFormat, OneLine) { EXPECT_EQ(Data("hello"), "data: hello\n\n"); }

TEST(SseFormat, EmptyDataIsOneEmptyDataLine) { EXPECT_EQ(Data(""), "data: \n\n"); }

TEST(SseFormat, EveryLineEndSplitsTheData) {
  EXPECT_EQ(Data("a\nb"), "data: a\ndata: b\n\n");
  EXPECT_EQ(Data("a\r\nb"), "data: a\ndata: b\n\n");
  EXPECT_EQ(Data("a\rb"), "data: a\ndata: b\n\n");
  EXPECT_EQ(Data("a\r\rb"), "data: a\ndata: \ndata: b\n\n");
  EXPECT_EQ(Data("a\n\nb"), "data: a\ndata: \ndata: b\n\n");
  // A trailing line end is an empty last line (the client's data then ends in LF).
  EXPECT_EQ(Data("a\n"), "data: a\ndata: \n\n");
  EXPECT_EQ(Data("\r\n"), "data: \ndata: \n\n");
}

TEST(SseFormat, ALeadingSpaceOrColonInTheDataSurvives) {
  // The client strips one space after "data:"; ours is that one.
  EXPECT_EQ(Data(" x"), "data:  x\n\n");
  EXPECT_EQ(Data(":x"), "data: :x\n\n");
}

TEST(SseFormat, IdEventAndRetry) {
  EXPECT_EQ(format_event({"d", "update", "17", 3000ms}),
            "retry: 3000\nid: 17\nevent: update\ndata: d\n\n");
  EXPECT_EQ(format_event({"d", {}, "x y", std::nullopt}), "id: x y\ndata: d\n\n");
}

TEST(SseFormat, FieldsThatWouldBreakTheFramingAreRefused) {
  EXPECT_THROW(format_event({"d", "a\nb", {}, std::nullopt}), std::invalid_argument);
  EXPECT_THROW(format_event({"d", "a\rb", {}, std::nullopt}), std::invalid_argument);
  EXPECT_THROW(format_event({"d", {}, "1\n", std::nullopt}), std::invalid_argument);
  EXPECT_THROW(format_event({"d", {}, std::string_view("1\0", 2), std::nullopt}),
               std::invalid_argument);
  // NUL in the data is the app's business (it is one line of bytes).
  EXPECT_EQ(Data(std::string_view("a\0b", 3)), std::string("data: a\0b\n\n", 11));
}

}  // namespace
}  // namespace spindle::test
