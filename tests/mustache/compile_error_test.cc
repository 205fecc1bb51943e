// Compile errors name the template, line and column of the offending tag:
// "<template>:<line>:<column>: <message>".
#include <gtest/gtest.h>
#include <spindle/mustache.hpp>
#include <spindle/mustache_set.hpp>

namespace spindle::test {
namespace {

using spindle::Template;
using spindle::TemplateError;

// Compiles `src` as template "page" and returns the error's what().
std::string CompileError(const std::string& src) {
  try {
    Template::compile(src, "page");
  } catch (const TemplateError& e) {
    return e.what();
  }
  return "(compiled without error)";
}

TEST(MustacheCompileError, UnclosedSectionPointsAtItsOpenTag) {
  EXPECT_EQ(CompileError("<ul>\n  {{#items}}\n  <li>{{name}}</li>\n</ul>\n"),
            "page:2:3: unclosed section 'items'");
}

TEST(MustacheCompileError, UnclosedInvertedSectionInsideSection) {
  EXPECT_EQ(CompileError("{{#a}}\n{{^b}}x{{/a}}"),
            "page:2:8: mismatched closing tag 'a': 'b' opened at 2:1 is still open");
}

TEST(MustacheCompileError, MismatchedClosingTag) {
  EXPECT_EQ(CompileError("{{#outer}}\n {{#inner}}\n {{/outer}}\n{{/inner}}"),
            "page:3:2: mismatched closing tag 'outer': 'inner' opened at 2:2 is still open");
}

TEST(MustacheCompileError, ClosingTagWithoutSection) {
  EXPECT_EQ(CompileError("line one\nsome {{/items}} text"),
            "page:2:6: closing tag 'items' has no open section");
}

TEST(MustacheCompileError, UnclosedTag) {
  EXPECT_EQ(CompileError("Hello\n  {{name\n"), "page:2:3: unclosed tag '{{'");
  EXPECT_EQ(CompileError("{{{raw}}"), "page:1:1: unclosed tag '{{{'");
}

TEST(MustacheCompileError, BadDelimiters) {
  EXPECT_EQ(CompileError("a\n{{=<%=}}"),
            "page:2:1: bad delimiter tag: expected two delimiters separated by space");
  EXPECT_EQ(CompileError("{{=<% %> x=}}"),
            "page:1:1: bad delimiter tag: expected two delimiters without '=' or spaces");
  EXPECT_EQ(CompileError("{{=<= =>=}}"),
            "page:1:1: bad delimiter tag: expected two delimiters without '=' or spaces");
  EXPECT_EQ(CompileError("x {{= | |"), "page:1:3: unclosed set-delimiter tag");
}

TEST(MustacheCompileError, PositionsUseTheCurrentDelimiters) {
  EXPECT_EQ(CompileError("{{=<% %>=}}\nabc <%#list%>\n<%/lst%>"),
            "page:3:1: mismatched closing tag 'lst': 'list' opened at 2:5 is still open");
  // After a set-delimiter tag, "{{" is plain text.
  EXPECT_EQ(CompileError("{{=<% %>=}}{{#x}}"), "(compiled without error)");
}

TEST(MustacheCompileError, LinesCountInsideMultilineComments) {
  EXPECT_EQ(CompileError("{{! a\ncomment\nover lines }}\n\t{{#s}}"),
            "page:4:2: unclosed section 's'");
}

TEST(MustacheCompileError, EmptyTagName) {
  EXPECT_EQ(CompileError("ok {{ }}"), "page:1:4: empty tag name");
  EXPECT_EQ(CompileError("ok\n{{# }}{{/ }}"), "page:2:1: empty tag name");
}

TEST(MustacheCompileError, UnclosedParentAndBlock) {
  EXPECT_EQ(CompileError("{{<layout}}\n  {{$title}}x{{/title}}\n"),
            "page:1:1: unclosed parent 'layout'");
  EXPECT_EQ(CompileError("x\n {{$title}}x"), "page:2:2: unclosed block 'title'");
  EXPECT_EQ(CompileError("{{<*dyn}}{{/dyn}}"),
            "page:1:10: mismatched closing tag 'dyn': '*dyn' opened at 1:1 is still open");
}

TEST(MustacheCompileError, ErrorExposesItsParts) {
  try {
    Template::compile("\n\n   {{/x}}", "t.mustache");
    FAIL() << "no error";
  } catch (const TemplateError& e) {
    EXPECT_EQ(e.template_name(), "t.mustache");
    EXPECT_EQ(e.line(), 3u);
    EXPECT_EQ(e.column(), 4u);
    EXPECT_EQ(e.message(), "closing tag 'x' has no open section");
  }
}

TEST(MustacheCompileError, UnknownParentInASet) {
  spindle::TemplateSet set;
  set.add_source("layout", "<html>{{$body}}{{/body}}</html>");
  set.add_source("page", "{{! the page }}\n{{<layout}}{{$body}}hi{{/body}}{{/layout}}\n"
                         "  {{<lay0ut}}{{/lay0ut}}");
  try {
    set.validate();
    FAIL() << "no error";
  } catch (const TemplateError& e) {
    EXPECT_STREQ(e.what(), "page:3:3: unknown parent 'lay0ut'");
  }
}

TEST(MustacheCompileError, MissingFile) {
  try {
    Template::compile_file("/nonexistent/dir/x.mustache");
    FAIL() << "no error";
  } catch (const TemplateError& e) {
    EXPECT_STREQ(e.what(), "/nonexistent/dir/x.mustache:0:0: cannot read template file");
  }
}

}  // namespace
}  // namespace spindle::test
