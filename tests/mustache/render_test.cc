// Rendering behaviour beyond the spec: render errors are TemplateErrors the
// caller can catch (never a crash), sinks, data types, and the public API.
#include <stdexcept>
#include <string>

#include <gtest/gtest.h>
#include <spindle/mustache.hpp>
#include <spindle/mustache_lambda.hpp>
#include <spindle/mustache_set.hpp>
#include <spindle/mustache_sink.hpp>

namespace spindle::test {
namespace {

using nlohmann::json;
using spindle::RenderOptions;
using spindle::Template;
using spindle::TemplateError;
using spindle::TemplateSet;

TEST(MustacheRender, EscapesHtml) {
  auto t = Template::compile("{{v}}|{{{v}}}|{{&v}}");
  EXPECT_EQ(t.render({{"v", "<a href=\"x\">Tom & 'Jerry'</a>"}}),
            "&lt;a href=&quot;x&quot;&gt;Tom &amp; &#39;Jerry&#39;&lt;/a&gt;|"
            "<a href=\"x\">Tom & 'Jerry'</a>|<a href=\"x\">Tom & 'Jerry'</a>");
}

TEST(MustacheRender, ValueTypes) {
  auto t = Template::compile("{{i}} {{u}} {{f}} {{b}} {{n}} {{a}} {{o}}");
  json d = {{"i", -42}, {"u", 18446744073709551615ull}, {"f", 0.5}, {"b", false},
            {"n", nullptr}, {"a", json::array({1, "x"})}, {"o", {{"k", "<"}}}};
  EXPECT_EQ(t.render(d), "-42 18446744073709551615 0.5 false  [1,&quot;x&quot;] {&quot;k&quot;:&quot;&lt;&quot;}");
}

TEST(MustacheRender, Truthiness) {
  auto t = Template::compile("{{#v}}T{{/v}}{{^v}}F{{/v}}");
  EXPECT_EQ(t.render({{"v", ""}}), "F");
  EXPECT_EQ(t.render({{"v", 0}}), "F");
  EXPECT_EQ(t.render({{"v", 0.0}}), "F");
  EXPECT_EQ(t.render({{"v", json::array()}}), "F");
  EXPECT_EQ(t.render({{"v", json::object()}}), "T");
  EXPECT_EQ(t.render({{"v", "x"}}), "T");
  EXPECT_EQ(t.render({{"v", 3}}), "T");
  EXPECT_EQ(t.render(json::object()), "F");
}

TEST(MustacheRender, ListsOfObjectsAndScalars) {
  auto t = Template::compile("{{#rows}}<{{id}}:{{name}}>{{/rows}}{{#tags}}[{{.}}]{{/tags}}");
  json d = {{"name", "outer"},
            {"rows", {{{"id", 1}, {"name", "a"}}, {{"id", 2}}}},
            {"tags", {"x", "y"}}};
  EXPECT_EQ(t.render(d), "<1:a><2:outer>[x][y]");
}

TEST(MustacheRender, DeepSectionNestingUsesTheHeapStack) {
  // More nested frames than the context stack holds inline (16).
  std::string src, close;
  json d = json::object();
  json* cur = &d;
  for (int i = 0; i < 40; ++i) {
    src += "{{#n}}";
    close += "{{/n}}";
    (*cur)["n"] = {{"v", i}};
    cur = &(*cur)["n"];
  }
  auto t = Template::compile(src + "{{v}}" + close);
  RenderOptions opts;
  opts.max_depth = 100;
  EXPECT_EQ(t.render(d, nullptr, opts), "39");
}

TEST(MustacheRender, MissingPartialIsEmptyByDefaultAndAnErrorWhenStrict) {
  TemplateSet set;
  set.add_source("page", "a\n  {{>nav}}\nb");
  EXPECT_EQ(set.render("page", json::object()), "a\nb");
  RenderOptions strict;
  strict.strict_partials = true;
  try {
    set.render("page", json::object(), strict);
    FAIL() << "no error";
  } catch (const TemplateError& e) {
    EXPECT_STREQ(e.what(), "page:2:3: unknown partial 'nav'");
  }
  set.add_source("dyn", "{{>*which}}");
  try {
    set.render("dyn", {{"which", "nope"}}, strict);
    FAIL() << "no error";
  } catch (const TemplateError& e) {
    EXPECT_STREQ(e.what(), "dyn:1:1: unknown partial 'nope'");
  }
}

TEST(MustacheRender, RunawayRecursionThrowsInsteadOfOverflowing) {
  TemplateSet set;
  set.add_source("loop", "x{{>loop}}");
  set.add_source("blockloop", "{{<blockloop}}{{/blockloop}}");
  for (const char* name : {"loop", "blockloop"}) {
    try {
      set.render(name, json::object());
      FAIL() << "no error for " << name;
    } catch (const TemplateError& e) {
      EXPECT_NE(std::string(e.what()).find("nested deeper than max_depth 64"), std::string::npos)
          << e.what();
    }
  }
}

TEST(MustacheRender, RecursivePartialOverDataTerminates) {
  TemplateSet set;
  set.add_source("node", "{{name}}{{#kids}}({{>node}}){{/kids}}");
  // Leaves say "kids": [] — a missing key would be looked up in the parent
  // frame (Mustache's context walk) and recurse until max_depth.
  json leaf_c = {{"name", "c"}, {"kids", json::array()}};
  json leaf_d = {{"name", "d"}, {"kids", json::array()}};
  json tree = {{"name", "a"}, {"kids", {{{"name", "b"}, {"kids", {leaf_c}}}, leaf_d}}};
  EXPECT_EQ(set.render("node", tree), "a(b(c))(d)");
}

TEST(MustacheRender, LambdaFailureIsATemplateError) {
  spindle::Lambdas lambdas;
  lambdas.add("boom", []() -> std::string { throw std::runtime_error("db down"); });
  RenderOptions opts;
  opts.lambdas = &lambdas;
  auto t = Template::compile("ok\n {{boom}}", "lam");
  try {
    t.render({{"boom", spindle::Lambdas::ref("boom")}}, nullptr, opts);
    FAIL() << "no error";
  } catch (const TemplateError& e) {
    EXPECT_STREQ(e.what(), "lam:2:2: lambda failed: db down");
  }
  // An unknown lambda name is an error too; without a table it is plain data.
  try {
    t.render({{"boom", spindle::Lambdas::ref("other")}}, nullptr, opts);
    FAIL() << "no error";
  } catch (const TemplateError& e) {
    EXPECT_STREQ(e.what(), "lam:2:2: lambda failed: no interpolation lambda 'other'");
  }
  EXPECT_EQ(t.render({{"boom", spindle::Lambdas::ref("x")}}),
            "ok\n {&quot;__lambda__&quot;:&quot;x&quot;}");
}

TEST(MustacheRender, LambdaSectionRendersInContext) {
  spindle::Lambdas lambdas;
  lambdas.add_section("bold", [](std::string_view raw) { return "<b>" + std::string(raw) + "</b>"; });
  RenderOptions opts;
  opts.lambdas = &lambdas;
  auto t = Template::compile("{{#items}}{{#bold}}{{name}}{{/bold}} {{/items}}");
  json d = {{"bold", spindle::Lambdas::ref("bold")}, {"items", {{{"name", "a&b"}}, {{"name", "c"}}}}};
  EXPECT_EQ(t.render(d, nullptr, opts), "<b>a&amp;b</b> <b>c</b> ");
}

// A sink that fails like a dropped connection.
class FailingSink : public spindle::Sink {
 public:
  void write(std::string_view) override {
    if (++writes_ == 3) throw std::runtime_error("client gone");
  }
  int writes_ = 0;
};

TEST(MustacheRender, SinkExceptionsPropagateUnchanged) {
  auto t = Template::compile("{{#l}}{{.}},{{/l}}");
  FailingSink sink;
  EXPECT_THROW(t.render({{"l", {1, 2, 3}}}, sink), std::runtime_error);
  EXPECT_EQ(sink.writes_, 3);
}

TEST(MustacheRender, EmptyTemplateHandleRendersNothing) {
  Template t;
  EXPECT_TRUE(t.empty());
  EXPECT_EQ(t.render({{"x", 1}}), "");
}

TEST(MustacheRender, CompiledTemplateIsSharedAndReusable) {
  auto t = Template::compile("{{a}}-{{b.c}}", "shared");
  Template copy = t;
  EXPECT_EQ(copy.compiled(), t.compiled());
  EXPECT_EQ(copy.name(), "shared");
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(t.render({{"a", i}, {"b", {{"c", "x"}}}}), std::to_string(i) + "-x");
  }
}

TEST(MustacheRender, LayoutInheritanceEndToEnd) {
  TemplateSet set;
  set.add_source("layout",
                 "<html>\n"
                 "  <head><title>{{$title}}Site{{/title}}</title></head>\n"
                 "  <body>\n"
                 "    {{$body}}\n"
                 "    <p>empty</p>\n"
                 "    {{/body}}\n"
                 "  </body>\n"
                 "</html>\n");
  set.add_source("page",
                 "{{<layout}}\n"
                 "{{$title}}{{user}}'s page{{/title}}\n"
                 "{{$body}}\n"
                 "<h1>Hello {{user}}</h1>\n"
                 "<ul>\n"
                 "{{#items}}\n"
                 "  <li>{{.}}</li>\n"
                 "{{/items}}\n"
                 "</ul>\n"
                 "{{/body}}\n"
                 "{{/layout}}\n");
  set.validate();
  EXPECT_EQ(set.render("page", {{"user", "<bob>"}, {"items", {"a", "b"}}}),
            "<html>\n"
            "  <head><title>&lt;bob&gt;'s page</title></head>\n"
            "  <body>\n"
            "    <h1>Hello &lt;bob&gt;</h1>\n"
            "    <ul>\n"
            "      <li>a</li>\n"
            "      <li>b</li>\n"
            "    </ul>\n"
            "  </body>\n"
            "</html>\n");
}

TEST(MustacheRender, ChunkedSinkOutsideAFiberJustChunks) {
  std::vector<std::string> chunks;
  spindle::ChunkedSink sink([&](std::string_view c) { chunks.emplace_back(c); }, 4);
  sink.write("ab");
  sink.write("cdefghij");  // fills one chunk, then a whole chunk straight through
  sink.write("k");
  EXPECT_EQ(chunks, (std::vector<std::string>{"abcd", "efgh"}));
  sink.flush();
  EXPECT_EQ(chunks, (std::vector<std::string>{"abcd", "efgh", "ijk"}));
  EXPECT_EQ(sink.chunks_emitted(), 3u);
  EXPECT_EQ(sink.bytes_emitted(), 11u);
  sink.flush();  // nothing buffered: no empty chunk
  EXPECT_EQ(sink.chunks_emitted(), 3u);
  EXPECT_THROW(spindle::ChunkedSink([](std::string_view) {}, 0), std::invalid_argument);
}

}  // namespace
}  // namespace spindle::test
