// Mustache rendering benchmarks. Reports renders/s (items_per_second) and
// output MB/s (bytes_per_second):
//  - Fortunes: the TechEmpower "fortunes" test: the 12 standard rows (with
//    the <script> row and the Japanese row) plus one row added at request
//    time, sorted by message, rendered HTML-escaped. FortunesRender renders
//    prepared data; FortunesRequest also builds the row list, adds the row,
//    sorts and builds the json, as a handler would per request.
//  - Page1MB: a ~1 MB table page (10,000 rows), into a string and through a
//    ChunkedSink (8 KiB chunks; outside a fiber its yield is a no-op).
// Run: mustache_bench --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>
#include <spindle/mustache.hpp>
#include <spindle/mustache_sink.hpp>

namespace {

using nlohmann::json;
using spindle::Template;

struct Fortune {
  int id;
  std::string message;
};

const std::vector<Fortune> kFortunes = {
    {1, "fortune: No such file or directory"},
    {2, "A computer scientist is someone who fixes things that aren't broken."},
    {3, "After enough decimal places, nobody gives a damn."},
    {4, "A bad random number generator: 1, 1, 1, 1, 1, 4.33e+67, 1, 1, 1"},
    {5, "A computer program does what you tell it to do, not what you want it to do."},
    {6, "Emacs is a nice operating system, but I prefer UNIX. \u2014 Tom Christaensen"},
    {7, "Any program that runs right is obsolete."},
    {8, "A list is only as strong as its weakest link. \u2014 Donald Knuth"},
    {9, "Feature: A bug with seniority."},
    {10, "Computers make very fast, very accurate mistakes."},
    {11, "<script>alert(\"This should not be displayed in a browser alert box.\");</script>"},
    {12, "\u30d5\u30ec\u30fc\u30e0\u30ef\u30fc\u30af\u306e\u30d9\u30f3\u30c1\u30de\u30fc\u30af"},
};

const char* kFortunesTemplate =
    "<!DOCTYPE html>\n"
    "<html>\n"
    "<head><title>Fortunes</title></head>\n"
    "<body>\n"
    "<table>\n"
    "<tr><th>id</th><th>message</th></tr>\n"
    "{{#fortunes}}\n"
    "<tr><td>{{id}}</td><td>{{message}}</td></tr>\n"
    "{{/fortunes}}\n"
    "</table>\n"
    "</body>\n"
    "</html>\n";

json FortunesData(std::vector<Fortune> rows) {
  rows.push_back({0, "Additional fortune added at request time."});
  std::sort(rows.begin(), rows.end(),
            [](const Fortune& a, const Fortune& b) { return a.message < b.message; });
  json list = json::array();
  for (auto& f : rows) list.push_back({{"id", f.id}, {"message", std::move(f.message)}});
  return {{"fortunes", std::move(list)}};
}

// Fails loudly if the engine renders the table wrong: a benchmark of wrong
// output is worthless.
void CheckFortunes(const std::string& out) {
  bool ok = out.find("<tr><td>11</td><td>&lt;script&gt;alert(&quot;This should not be "
                     "displayed in a browser alert box.&quot;);&lt;/script&gt;</td></tr>") !=
                std::string::npos &&
            out.find("<tr><td>5</td>") <
                out.find("<tr><td>0</td><td>Additional fortune added at request time.</td></tr>") &&
            out.find("<tr><td>0</td>") < out.find("<tr><td>3</td>") &&
            std::count(out.begin(), out.end(), '\n') == 6 + 13 + 3 &&
            out.find("\u30d5\u30ec\u30fc\u30e0") != std::string::npos;
  if (!ok) {
    std::fprintf(stderr, "fortunes output is wrong:\n%s\n", out.c_str());
    std::abort();
  }
}

void BM_FortunesRender(benchmark::State& state) {
  const Template t = Template::compile(kFortunesTemplate, "fortunes");
  const json data = FortunesData(kFortunes);
  spindle::StringSink sink;
  t.render(data, sink);
  CheckFortunes(sink.str());
  size_t bytes = 0;
  for (auto _ : state) {
    sink.clear();
    t.render(data, sink);
    bytes += sink.str().size();
    benchmark::DoNotOptimize(sink.str().data());
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
}
BENCHMARK(BM_FortunesRender);

void BM_FortunesRequest(benchmark::State& state) {
  const Template t = Template::compile(kFortunesTemplate, "fortunes");
  size_t bytes = 0;
  for (auto _ : state) {
    json data = FortunesData(kFortunes);  // copy rows, add one, sort, to json
    std::string out = t.render(data);
    bytes += out.size();
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
}
BENCHMARK(BM_FortunesRequest);

const char* kPageTemplate =
    "<html><head><title>{{title}}</title></head><body>\n"
    "<table>\n"
    "{{#rows}}\n"
    "<tr class=\"{{#odd}}odd{{/odd}}{{^odd}}even{{/odd}}\"><td>{{id}}</td><td>{{name}}</td>"
    "<td>{{text}}</td></tr>\n"
    "{{/rows}}\n"
    "</table>\n"
    "</body></html>\n";

json PageData(size_t rows) {
  json list = json::array();
  for (size_t i = 0; i < rows; ++i) {
    list.push_back({{"id", i}, {"odd", i % 2 == 1}, {"name", "user <" + std::to_string(i) + ">"},
                    {"text", "Tom & Jerry's \"quoted\" text"}});
  }
  return {{"title", "A 1 MB page"}, {"rows", std::move(list)}};
}

void BM_Page1MB(benchmark::State& state) {
  const Template t = Template::compile(kPageTemplate, "page");
  const json data = PageData(10000);
  spindle::StringSink sink;
  size_t bytes = 0;
  for (auto _ : state) {
    sink.clear();
    t.render(data, sink);
    bytes += sink.str().size();
    benchmark::DoNotOptimize(sink.str().data());
  }
  state.counters["page_bytes"] = static_cast<double>(sink.str().size());
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
}
BENCHMARK(BM_Page1MB)->Unit(benchmark::kMillisecond);

void BM_Page1MBChunked(benchmark::State& state) {
  const Template t = Template::compile(kPageTemplate, "page");
  const json data = PageData(10000);
  size_t bytes = 0;
  for (auto _ : state) {
    spindle::ChunkedSink sink([&](std::string_view c) { bytes += c.size(); });
    t.render(data, sink);
    sink.flush();
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
}
BENCHMARK(BM_Page1MBChunked)->Unit(benchmark::kMillisecond);

void BM_CompileFortunes(benchmark::State& state) {
  for (auto _ : state) {
    Template t = Template::compile(kFortunesTemplate, "fortunes");
    benchmark::DoNotOptimize(t.compiled());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_CompileFortunes);

}  // namespace

BENCHMARK_MAIN();
