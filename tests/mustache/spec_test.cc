// The official Mustache spec as data-driven tests: every case of every
// tests/data/mustache-spec/*.json file becomes one GoogleTest test named
// Spec_<file>.<case>, registered at run time from the JSON (so the suite is
// the data, not a transcription). The ~lambdas cases carry code for other
// languages; their C++ equivalents are in LambdasFor() below.
#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <spindle/mustache.hpp>
#include <spindle/mustache_lambda.hpp>
#include <spindle/mustache_set.hpp>

namespace spindle::test {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

std::string Sanitize(const std::string& s) {
  std::string out;
  for (char c : s) out += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
  return out;
}

// C++ versions of the spec's lambdas, by case name.
spindle::Lambdas LambdasFor(const std::string& name) {
  spindle::Lambdas l;
  if (name == "Interpolation") {
    l.add("lambda", [] { return std::string("world"); });
  } else if (name == "Interpolation - Expansion") {
    l.add("lambda", [] { return std::string("{{planet}}"); });
  } else if (name == "Interpolation - Alternate Delimiters") {
    l.add("lambda", [] { return std::string("|planet| => {{planet}}"); });
  } else if (name == "Interpolation - Multiple Calls") {
    l.add("lambda", [calls = 0]() mutable { return std::to_string(++calls); });
  } else if (name == "Escaping") {
    l.add("lambda", [] { return std::string(">"); });
  } else if (name == "Section") {
    l.add_section("lambda", [](std::string_view t) { return std::string(t == "{{x}}" ? "yes" : "no"); });
  } else if (name == "Section - Expansion") {
    l.add_section("lambda", [](std::string_view t) {
      return std::string(t) + "{{planet}}" + std::string(t);
    });
  } else if (name == "Section - Alternate Delimiters") {
    l.add_section("lambda", [](std::string_view t) {
      return std::string(t) + "{{planet}} => |planet|" + std::string(t);
    });
  } else if (name == "Section - Multiple Calls") {
    l.add_section("lambda", [](std::string_view t) { return "__" + std::string(t) + "__"; });
  } else if (name == "Inverted Section") {
    l.add_section("lambda", [](std::string_view) { return std::string(); });
  }
  return l;
}

// Replaces the spec's {"__tag__": "code", ...} values by Lambdas markers.
void MarkLambdas(json& data) {
  if (!data.is_object()) return;
  for (auto& [key, value] : data.items()) {
    if (value.is_object() && value.contains("__tag__") && value["__tag__"] == "code") {
      value = spindle::Lambdas::ref(key);
    } else {
      MarkLambdas(value);
    }
  }
}

class SpecCase : public testing::Test {
 public:
  SpecCase(std::string file, json spec) : file_(std::move(file)), spec_(std::move(spec)) {}

  void TestBody() override {
    const std::string name = spec_["name"];
    SCOPED_TRACE(file_ + ": " + name + ": " + spec_.value("desc", ""));
    spindle::TemplateSet set;
    if (spec_.contains("partials")) {
      for (auto& [pname, psrc] : spec_["partials"].items()) {
        set.add_source(pname, psrc.get<std::string>());
      }
    }
    json data = spec_["data"];
    spindle::Lambdas lambdas = LambdasFor(name);
    spindle::RenderOptions options;
    if (file_ == "~lambdas") {
      MarkLambdas(data);
      options.lambdas = &lambdas;
    }
    auto tmpl = spindle::Template::compile(spec_["template"].get<std::string>(), "spec");
    std::string out = tmpl.render(data, &set, options);
    EXPECT_EQ(out, spec_["expected"].get<std::string>())
        << "template: " << spec_["template"].dump() << "\ndata: " << spec_["data"].dump()
        << "\npartials: " << spec_.value("partials", json::object()).dump();
  }

 private:
  std::string file_;
  json spec_;
};

void RegisterSpecTests() {
  fs::path dir = fs::path(SPINDLE_TEST_DATA) / "mustache-spec";
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(dir)) {
    if (e.path().extension() == ".json") files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  for (const auto& path : files) {
    std::ifstream in(path);
    json doc = json::parse(in);
    std::string file = path.stem().string();
    std::string suite = "Spec_" + Sanitize(file[0] == '~' ? "opt" + file.substr(1) : file);
    for (const json& c : doc["tests"]) {
      std::string test = Sanitize(c["name"].get<std::string>());
      testing::RegisterTest(suite.c_str(), test.c_str(), nullptr, nullptr, __FILE__, __LINE__,
                            [file, c]() -> testing::Test* { return new SpecCase(file, c); });
    }
  }
}

}  // namespace
}  // namespace spindle::test

int main(int argc, char** argv) {
  testing::InitGoogleTest(&argc, argv);
  spindle::test::RegisterSpecTests();
  return RUN_ALL_TESTS();
}
