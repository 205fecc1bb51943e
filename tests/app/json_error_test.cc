// HttpError with a JSON body (errors.hpp): the document is kept (shared by
// copies, so copying never throws), what() is its compact dump, and only a
// nlohmann::json selects it: a string message stays a text message.
#include <spindle/errors.hpp>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <string>
#include <string_view>
#include <type_traits>

namespace spindle::test {
namespace {

TEST(HttpErrorJson, KeepsTheDocument) {
  const nlohmann::json doc = {{"error", "name is missing"}, {"fields", {"name"}}};
  HttpError e(422, doc);
  EXPECT_EQ(e.status(), 422);
  ASSERT_NE(e.json(), nullptr);
  EXPECT_EQ(*e.json(), doc);
  EXPECT_EQ(std::string(e.what()), doc.dump());
  HttpError copy = e;
  EXPECT_EQ(copy.json(), e.json());  // shared, not copied
  static_assert(std::is_nothrow_copy_constructible_v<HttpError>);
}

TEST(HttpErrorJson, TextMessagesStayText) {
  HttpError literal(404, "no such user");
  EXPECT_EQ(literal.json(), nullptr);
  EXPECT_STREQ(literal.what(), "no such user");
  HttpError str(400, std::string("bad"));
  EXPECT_EQ(str.json(), nullptr);
  // A string_view converts to neither (std::string's constructor from it
  // is explicit, and the JSON constructor takes a nlohmann::json only).
  static_assert(!std::is_constructible_v<HttpError, int, std::string_view>);
  // A JSON string is a JSON body when asked for explicitly.
  HttpError js(400, nlohmann::json("bad"));
  ASSERT_NE(js.json(), nullptr);
  EXPECT_STREQ(js.what(), "\"bad\"");
}

TEST(HttpErrorJson, InvalidUtf8DoesNotThrow) {
  HttpError e(400, nlohmann::json{{"error", std::string("bad \xff byte")}});
  EXPECT_EQ(std::string(e.what()), "{\"error\":\"bad \xef\xbf\xbd byte\"}");
}

}  // namespace
}  // namespace spindle::test
