// Templates end to end: HTTP client -> nginx (ngx_http_spindle_module) ->
// spindled -> tests/mustache/template_app.cpp, which renders with
// render_to(Response&). Checks the streamed page byte for byte, that it
// arrives in several pieces, that a render error before the first chunk is a
// clean 500 and one after it cuts only that response, and reload().
#include <stdlib.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <spindle/mustache.hpp>

#include "daemon_harness.hpp"
#include "http_client.hpp"
#include "nginx_harness.hpp"
#include "shared_stack.hpp"

namespace spindle::test {
namespace {

namespace fs = std::filesystem;

const char* kPage =
    "<html><title>{{title}}</title><table>\n"
    "{{#rows}}\n"
    "<tr><td>{{id}}</td><td>{{name}}</td><td>{{text}}</td></tr>\n"
    "{{/rows}}\n"
    "</table></html>\n";

void WriteFile(const fs::path& p, const std::string& s) {
  std::ofstream(p, std::ios::binary | std::ios::trunc) << s;
}

// The page as the app renders it, computed here with the same engine.
std::string Expected(long long n, const char* tmpl = kPage) {
  nlohmann::json rows = nlohmann::json::array();
  for (long long i = 0; i < n; ++i) {
    rows.push_back({{"id", i}, {"name", "user <" + std::to_string(i) + ">"},
                    {"text", "the quick brown fox jumps over the lazy dog & co"}});
  }
  return Template::compile(tmpl).render({{"title", "Rows & more"}, {"rows", rows}});
}

struct Stack {
  Stack() {
    std::string d = (fs::temp_directory_path() / "mustache-e2e-XXXXXX").string();
    if (mkdtemp(d.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    templates = d;
    WriteFile(templates / "page.mustache", kPage);
    WriteFile(templates / "broken.mustache", "{{#rows}}{{text}}\n{{/rows}}{{>missing}}");
    DaemonOptions o;
    o.yaml = "workers: 1\napps:\n  - name: tpl\n    path: " + std::string(SPINDLE_TEMPLATE_APP) +
             "\n    mount: /\n    config:\n      templates: " + templates.string() + "\n";
    daemon = std::make_unique<DaemonHarness>(o);
    NginxOptions n;
    n.vars["SOCK"] = daemon->socket_path();
    n.server = "location / { spindle_pass unix:${SOCK}; spindle_buffering off; }";
    nginx = std::make_unique<NginxHarness>(n);
  }
  ~Stack() {
    nginx.reset();
    daemon.reset();
    std::error_code ec;
    fs::remove_all(templates, ec);
  }
  fs::path templates;
  std::unique_ptr<DaemonHarness> daemon;
  std::unique_ptr<NginxHarness> nginx;
};

class MustacheE2E : public SharedStackTest<Stack> {
 protected:
  uint16_t port() const { return stack_->nginx->port(); }
};

TEST_F(MustacheE2E, SmallPage) {
  auto r = HttpGet(port(), "/page?rows=3");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.body, Expected(3));
  EXPECT_EQ(r.Header("Content-Type"), "text/html; charset=utf-8");
  EXPECT_TRUE(r.complete);
}

TEST_F(MustacheE2E, BigPageStreamsInChunks) {
  // ~2.6 MB: over 300 chunks of 8 KiB, flushed to nginx one by one.
  auto r = HttpGet(port(), "/page?rows=25000");
  ASSERT_EQ(r.status, 200);
  EXPECT_TRUE(r.complete);
  EXPECT_EQ(r.body.size(), Expected(25000).size());
  EXPECT_EQ(r.body, Expected(25000));
  EXPECT_GE(r.pieces.size(), 2u);
}

TEST_F(MustacheE2E, RenderErrorBeforeTheFirstChunkIs500) {
  auto r = HttpGet(port(), "/error?rows=2");  // ~100 bytes, then the error
  EXPECT_EQ(r.status, 500);
  EXPECT_TRUE(stack_->daemon->WaitForLog("unknown partial 'missing'"));
}

TEST_F(MustacheE2E, RenderErrorAfterTheHeadCutsOnlyThatResponse) {
  auto r = HttpGet(port(), "/error?rows=2000");  // ~100 KB, then the error
  EXPECT_EQ(r.status, 200);
  EXPECT_FALSE(r.complete);
  EXPECT_GE(r.body.size(), 8192u);
  EXPECT_LT(r.body.size(), 2000u * 60);
  // The worker goes on serving.
  auto ok = HttpGet(port(), "/page?rows=2");
  EXPECT_EQ(ok.status, 200);
  EXPECT_EQ(ok.body, Expected(2));
}

TEST_F(MustacheE2E, ReloadPicksUpAChangedTemplate) {
  const char* changed = "<p>{{#rows}}{{id}},{{/rows}}</p>\n";
  auto p = stack_->templates / "page.mustache";
  auto before = fs::last_write_time(p);
  WriteFile(p, changed);
  fs::last_write_time(p, before + std::chrono::seconds(1));
  auto r = HttpGet(port(), "/reload");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "changed 1 added 0");
  EXPECT_EQ(HttpGet(port(), "/page?rows=3").body, "<p>0,1,2,</p>\n");
  // Restore for the other tests.
  WriteFile(p, kPage);
  fs::last_write_time(p, before + std::chrono::seconds(2));
  EXPECT_EQ(HttpGet(port(), "/reload").body, "changed 1 added 0");
}

}  // namespace
}  // namespace spindle::test
