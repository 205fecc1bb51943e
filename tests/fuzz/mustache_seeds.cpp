// mustache_seeds.cpp: writes the templates of the Mustache spec's JSON files
// (tests/data/mustache-spec) as one seed file each, for fuzz_mustache.
//   fuzz_mustache_seeds <out-dir> <spec.json>...
#include <nlohmann/json.hpp>

#include <cstdio>
#include <fstream>
#include <string>

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s <out-dir> <spec.json>...\n", argv[0]);
    return 2;
  }
  int n = 0;
  for (int i = 2; i < argc; ++i) {
    std::ifstream in(argv[i]);
    nlohmann::json spec = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
    if (spec.is_discarded() || !spec.contains("tests")) {
      std::fprintf(stderr, "%s: not a mustache spec file\n", argv[i]);
      return 1;
    }
    for (const auto& test : spec["tests"]) {
      std::string tmpl = test.value("template", "");
      if (test.contains("partials") && test["partials"].is_object()) {
        for (const auto& [name, source] : test["partials"].items()) {
          if (source.is_string()) tmpl += source.get<std::string>();
        }
      }
      std::ofstream out(std::string(argv[1]) + "/spec-" + std::to_string(n++));
      out << tmpl;
      if (!out) {
        std::perror(argv[1]);
        return 1;
      }
    }
  }
  std::printf("fuzz_mustache_seeds: %d seeds in %s\n", n, argv[1]);
  return 0;
}
