// TemplateSet::load_directory and TemplateCache: templates read from a real
// temp directory, partials and parents resolved by relative name, reload()
// picking up changed, added and removed files (all or nothing on errors).
#include <stdlib.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>
#include <spindle/mustache_cache.hpp>
#include <spindle/mustache_set.hpp>

namespace spindle::test {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using spindle::TemplateCache;
using spindle::TemplateError;

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "mustache-test-XXXXXX").string();
    if (mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const fs::path& path() const { return path_; }

  // Writes a file and moves its mtime forward, so a rewrite within the
  // file system's timestamp granularity still counts as a change.
  void Write(const std::string& rel, const std::string& content) {
    fs::path p = path_ / rel;
    fs::create_directories(p.parent_path());
    bool existed = fs::exists(p);
    auto before = existed ? fs::last_write_time(p) : fs::file_time_type{};
    std::ofstream(p, std::ios::binary | std::ios::trunc) << content;
    if (existed && fs::last_write_time(p) <= before) {
      fs::last_write_time(p, before + std::chrono::seconds(1));
    }
  }

 private:
  fs::path path_;
};

void WriteSite(TempDir& dir) {
  dir.Write("layout.mustache", "<main>{{$body}}{{/body}}</main>\n");
  dir.Write("index.mustache", "{{<layout}}{{$body}}{{#rows}}{{>rows/row}}{{/rows}}{{/body}}{{/layout}}");
  dir.Write("rows/row.mustache", "[{{name}}]");
  dir.Write("notes.txt", "not a template {{");
}

const json kData = {{"rows", {{{"name", "a"}}, {{"name", "b"}}}}};

TEST(MustacheDirectory, LoadsTemplatesByRelativeName) {
  TempDir dir;
  WriteSite(dir);
  auto set = spindle::TemplateSet::load_directory(dir.path());
  EXPECT_EQ(set.names(), (std::vector<std::string>{"index", "layout", "rows/row"}));
  EXPECT_EQ(set.render("index", kData), "<main>[a][b]</main>\n");
  EXPECT_EQ(set.get("rows/row").name(), (dir.path() / "rows/row.mustache").string());
}

TEST(MustacheDirectory, CompileErrorNamesTheFile) {
  TempDir dir;
  WriteSite(dir);
  dir.Write("broken.mustache", "ok\n{{#x}}\n");
  try {
    spindle::TemplateSet::load_directory(dir.path());
    FAIL() << "no error";
  } catch (const TemplateError& e) {
    EXPECT_EQ(std::string(e.what()),
              (dir.path() / "broken.mustache").string() + ":2:1: unclosed section 'x'");
  }
}

TEST(MustacheDirectory, UnknownParentFailsTheLoad) {
  TempDir dir;
  dir.Write("page.mustache", "{{<nolayout}}{{/nolayout}}");
  EXPECT_THROW(spindle::TemplateSet::load_directory(dir.path()), TemplateError);
  EXPECT_THROW(TemplateCache(dir.path()), TemplateError);
}

TEST(MustacheDirectory, MissingDirectoryIsATemplateError) {
  EXPECT_THROW(TemplateCache("/nonexistent/templates"), TemplateError);
}

TEST(MustacheCache, ReloadPicksUpChangedAddedAndRemovedFiles) {
  TempDir dir;
  WriteSite(dir);
  TemplateCache cache(dir.path());
  EXPECT_EQ(cache.render("index", kData), "<main>[a][b]</main>\n");

  auto r = cache.reload();  // nothing changed
  EXPECT_EQ(r.changed + r.added + r.removed, 0u);
  EXPECT_EQ(r.unchanged, 3u);

  dir.Write("rows/row.mustache", "<li>{{name}}</li>");
  dir.Write("extra.mustache", "extra {{x}}");
  fs::remove(dir.path() / "layout.mustache");
  dir.Write("index.mustache", "{{#rows}}{{>rows/row}}{{/rows}}");
  r = cache.reload();
  EXPECT_EQ(r.changed, 2u);
  EXPECT_EQ(r.added, 1u);
  EXPECT_EQ(r.removed, 1u);
  EXPECT_EQ(r.unchanged, 0u);
  EXPECT_EQ(cache.render("index", kData), "<li>a</li><li>b</li>");
  EXPECT_EQ(cache.render("extra", {{"x", 1}}), "extra 1");
  EXPECT_THROW(cache.render("layout", kData), TemplateError);
}

TEST(MustacheCache, FailedReloadKeepsServingTheOldTemplates) {
  TempDir dir;
  WriteSite(dir);
  TemplateCache cache(dir.path());
  dir.Write("rows/row.mustache", "{{#broken}}");
  EXPECT_THROW(cache.reload(), TemplateError);
  EXPECT_EQ(cache.render("index", kData), "<main>[a][b]</main>\n");
  // Fixed: the next reload takes it.
  dir.Write("rows/row.mustache", "({{name}})");
  auto r = cache.reload();
  EXPECT_EQ(r.changed, 1u);
  EXPECT_EQ(cache.render("index", kData), "<main>(a)(b)</main>\n");
}

TEST(MustacheCache, SnapshotOutlivesAReload) {
  TempDir dir;
  WriteSite(dir);
  TemplateCache cache(dir.path());
  auto before = cache.snapshot();
  dir.Write("rows/row.mustache", "new");
  cache.reload();
  // A render that started before the reload (e.g. a fiber parked between
  // chunks) still sees a complete, consistent old set.
  EXPECT_EQ(before->render("index", kData), "<main>[a][b]</main>\n");
  EXPECT_EQ(cache.render("index", kData), "<main>newnew</main>\n");
}

}  // namespace
}  // namespace spindle::test
