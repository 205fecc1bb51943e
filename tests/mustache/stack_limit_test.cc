// Runaway template recursion on small real fiber stacks (16, 32 and 64 KiB):
// every kind of recursion (nested sections, recursive partials, parents,
// blocks, section and interpolation lambdas) ends in a TemplateError from
// the renderer's stack check, never in a SIGSEGV on the guard page. So does
// deep nesting in template text at compile time, and a render on a plain
// thread with a small pthread stack (the pthread_getattr_np fallback), and
// interpolating data nested deeper than json::dump() could recurse.
//
// Each case paints the unused stack before rendering and scans it after the
// error, so the test knows how close the render (including the throw) came
// to the guard page; it fails if less than a quarter of the renderer's
// reserve was left unused, i.e. before frames grow enough to overflow. The
// measured numbers (stack per level, headroom) are printed.
#include <pthread.h>

#include <cstdint>
#include <cstdio>
#include <map>
#include <string>
#include <tuple>
#include <vector>

#include <gtest/gtest.h>
#include <spindle/fiber.hpp>
#include <spindle/mustache.hpp>
#include <spindle/mustache_lambda.hpp>
#include <spindle/mustache_set.hpp>
#include <spindle/mustache_sink.hpp>
#include <spindle/scheduler.hpp>

#include "fiber_test.hpp"
#include "mustache/renderer.hpp"

namespace spindle::test {
namespace {

using nlohmann::json;
using spindle::Lambdas;
using spindle::TemplateError;
using spindle::TemplateSet;

constexpr unsigned char kPaint = 0xA5;
constexpr uintptr_t kPage = 4096;

// The low end of the running stack: fiber and thread stacks start on a page
// boundary, and stack_remaining() measures from a frame just below ours.
uintptr_t StackLow() {
  const auto frame = reinterpret_cast<uintptr_t>(__builtin_frame_address(0));
  return (frame - spindle::this_fiber::stack_remaining()) & ~(kPage - 1);
}

// Fills the stack below this frame (minus a little for the calls still to
// come from here) with kPaint. Not instrumented: ASan may have poisoned
// stale redzones down there.
[[gnu::noinline, gnu::no_sanitize_address]] void PaintUnusedStack(uintptr_t lo) {
  auto* p = reinterpret_cast<volatile unsigned char*>(lo);
  const auto top = reinterpret_cast<uintptr_t>(__builtin_frame_address(0)) - 1024;
  for (uintptr_t a = lo; a < top; ++a) p[a - lo] = kPaint;
}

// Bytes above `lo` never touched since PaintUnusedStack.
[[gnu::noinline, gnu::no_sanitize_address]] size_t UntouchedStack(uintptr_t lo) {
  auto* p = reinterpret_cast<volatile unsigned char*>(lo);
  size_t n = 0;
  while (p[n] == kPaint) ++n;
  return n;
}

enum class Kind { kSection, kPartial, kParent, kBlock, kSectionLambda, kInterpolationLambda };

const char* KindName(Kind k) {
  switch (k) {
    case Kind::kSection: return "Section";
    case Kind::kPartial: return "Partial";
    case Kind::kParent: return "Parent";
    case Kind::kBlock: return "Block";
    case Kind::kSectionLambda: return "SectionLambda";
    case Kind::kInterpolationLambda: return "InterpolationLambda";
  }
  return "?";
}

// One template set per kind, entry "top", recursing without end. Every level
// calls the {{probe}} lambda (which records the stack left) so the leaf work
// below the deepest level includes a lambda, a compile and a nested render.
TemplateSet RecursiveSet(Kind k) {
  TemplateSet set;
  switch (k) {
    case Kind::kSection: {
      std::string open, close;
      for (int i = 0; i < 5000; ++i) {
        open += "{{#a}}{{probe}}";
        close += "{{/a}}";
      }
      set.add_source("top", open + close);
      break;
    }
    case Kind::kPartial:
      set.add_source("top", "{{probe}}{{>top}}");
      break;
    case Kind::kParent:
      set.add_source("top", "{{probe}}{{<top}}{{/top}}");
      break;
    case Kind::kBlock:
      // Block b of "layout" takes top's argument, which includes top again.
      set.add_source("layout", "{{$b}}{{/b}}");
      set.add_source("top", "{{<layout}}{{$b}}{{probe}}{{>top}}{{/b}}{{/layout}}");
      break;
    case Kind::kSectionLambda:
      set.add_source("top", "{{#sec}}{{/sec}}");
      break;
    case Kind::kInterpolationLambda:
      set.add_source("top", "{{rec}}");
      break;
  }
  return set;
}

struct Outcome {
  std::string error;          // the TemplateError's what()
  std::vector<size_t> probes;  // stack left at each level's {{probe}}
  size_t untouched = 0;        // stack never used, at the low end
};

// Renders "top" with no depth limit into a ChunkedSink that emits every
// byte and yields to a second fiber, so each write switches context on this
// stack the way a streaming response does.
Outcome RenderRunaway(Kind kind) {
  TemplateSet set = RecursiveSet(kind);
  Outcome out;
  Lambdas lambdas;
  lambdas.add("probe", [&out] {
    out.probes.push_back(spindle::this_fiber::stack_remaining());
    return std::string("x");
  });
  lambdas.add_section("sec", [](std::string_view) { return "{{probe}}{{#sec}}{{/sec}}"; });
  lambdas.add("rec", [] { return std::string("{{probe}}{{rec}}"); });
  json data = {{"a", true},
               {"probe", Lambdas::ref("probe")},
               {"sec", Lambdas::ref("sec")},
               {"rec", Lambdas::ref("rec")}};
  spindle::RenderOptions opts;
  opts.max_depth = SIZE_MAX;  // only the stack check may stop it
  opts.lambdas = &lambdas;

  bool done = false;
  spindle::Fiber other;
  if (spindle::Scheduler::current() != nullptr) {
    other = spindle::spawn([&done] {
      while (!done) spindle::this_fiber::yield();
    });
  }
  size_t emitted = 0;
  spindle::ChunkedSink sink([&emitted](std::string_view c) { emitted += c.size(); }, 1);
  const uintptr_t lo = StackLow();
  PaintUnusedStack(lo);
  try {
    set.render("top", data, sink, opts);
  } catch (const TemplateError& e) {
    out.error = e.what();
  }
  out.untouched = UntouchedStack(lo);
  done = true;
  if (other.joinable()) other.join();
  // An interpolation lambda renders into a buffer first: nothing is emitted.
  if (kind != Kind::kInterpolationLambda) {
    EXPECT_GT(emitted, 0u);
  }
  return out;
}

// "the renderer keeps N" from the error message.
size_t ReserveFrom(const std::string& error) {
  const std::string key = "the renderer keeps ";
  size_t at = error.find(key);
  return at == std::string::npos ? 0 : std::stoul(error.substr(at + key.size()));
}

void CheckOutcome(const Outcome& out, const std::string& what) {
  ASSERT_NE(out.error.find("templates nested too deep for the stack"), std::string::npos)
      << what << ": " << out.error;
  const size_t reserve = ReserveFrom(out.error);
  ASSERT_GT(reserve, 0u) << out.error;
  ASSERT_GE(out.probes.size(), 2u) << what << ": the recursion never got going";
  const size_t per_level =
      (out.probes.front() - out.probes.back()) / (out.probes.size() - 1);
  std::printf("[ stack    ] %s: %zu levels, %zu bytes per level, %zu bytes never touched "
              "(reserve %zu)\n",
              what.c_str(), out.probes.size(), per_level, out.untouched, reserve);
  // Headroom: the deepest point of the render and of the throw stayed at
  // least a quarter of the reserve above the guard page.
  EXPECT_GE(out.untouched, reserve / 4) << what;
  // The reserve is several levels deep, so one level between checks fits.
  EXPECT_GE(reserve, 4 * per_level) << what;
}

class StackLimit : public ::testing::TestWithParam<std::tuple<Kind, size_t>> {};

TEST_P(StackLimit, RunawayRecursionIsATemplateError) {
  const auto [kind, stack] = GetParam();
  spindle::SchedulerOptions so;
  so.stack_size = stack;
  so.watchdog_threshold = std::chrono::milliseconds(0);
  Outcome out;
  spindle::test::RunInScheduler([&] { out = RenderRunaway(kind); }, so);
  CheckOutcome(out, std::string(KindName(kind)) + " on a " + std::to_string(stack / 1024) +
                        " KiB fiber");
}

INSTANTIATE_TEST_SUITE_P(
    AllKinds, StackLimit,
    ::testing::Combine(::testing::Values(Kind::kSection, Kind::kPartial, Kind::kParent,
                                         Kind::kBlock, Kind::kSectionLambda,
                                         Kind::kInterpolationLambda),
                       ::testing::Values(16 * 1024, 32 * 1024, 64 * 1024)),
    [](const auto& info) {
      return std::string(KindName(std::get<0>(info.param))) + "_" +
             std::to_string(std::get<1>(info.param) / 1024) + "k";
    });

// The compiler matches sections with an explicit stack, not recursion: text
// nested 100,000 deep compiles (or fails to, unclosed) on a 16 KiB fiber,
// and rendering it stops at the stack check.
TEST(StackLimitCompile, DeepNestingInTemplateTextOnA16KiBFiber) {
  std::string open, close;
  for (int i = 0; i < 100000; ++i) {
    open += "{{#a}}";
    close += "{{/a}}";
  }
  spindle::SchedulerOptions so;
  so.stack_size = 16 * 1024;
  so.watchdog_threshold = std::chrono::milliseconds(0);  // compiling 1.2 MB takes a while
  std::string unclosed, render_error;
  spindle::test::RunInScheduler(
      [&] {
        try {
          spindle::Template::compile(open, "deep");
        } catch (const TemplateError& e) {
          unclosed = e.what();
        }
        spindle::Template t = spindle::Template::compile(open + "x" + close, "deep");
        spindle::RenderOptions opts;
        opts.max_depth = SIZE_MAX;
        try {
          t.render({{"a", true}}, nullptr, opts);
        } catch (const TemplateError& e) {
          render_error = e.what();
        }
      },
      so);
  EXPECT_EQ(unclosed, "deep:1:599995: unclosed section 'a'");
  EXPECT_NE(render_error.find("templates nested too deep for the stack"), std::string::npos)
      << render_error;
}

// With the default max_depth (64) the fixed limit and the stack check both
// apply: whichever comes first ends the render, never the guard page.
TEST(StackLimitCompile, DefaultDepthLimitStillApplies) {
  TemplateSet set;
  set.add_source("top", "x{{>top}}");
  std::string small, big;
  for (size_t stack : {size_t{16} * 1024, size_t{1024} * 1024}) {
    spindle::SchedulerOptions so;
    so.stack_size = stack;
    spindle::test::RunInScheduler(
        [&] {
          try {
            set.render("top", json::object());
          } catch (const TemplateError& e) {
            (stack == 16 * 1024 ? small : big) = e.what();
          }
        },
        so);
  }
  EXPECT_NE(small.find("templates nested"), std::string::npos) << small;
  EXPECT_NE(big.find("nested deeper than max_depth 64"), std::string::npos) << big;
}

// A value nested `depth` arrays deep (built without recursion).
json NestedArray(size_t depth) {
  json v = json::array();
  for (size_t i = 1; i < depth; ++i) {
    json outer = json::array();
    outer.push_back(std::move(v));
    v = std::move(outer);
  }
  return v;
}

// Interpolating an array prints it with json::dump(), which recurses once
// per level of the *data*: a value nested 100,000 deep is a TemplateError on
// a 16 KiB fiber, and the stack per level the renderer assumes for dump()
// covers what a print really touches (measured by painting, as above).
TEST(StackLimitData, DeeplyNestedValueIsATemplateError) {
  const auto t = spindle::Template::compile("{{v}}", "data");
  json deep = {{"v", NestedArray(100000)}};
  json one = {{"v", NestedArray(1)}}, forty = {{"v", NestedArray(41)}};
  std::string error, printed;
  size_t untouched_1 = 0, untouched_41 = 0;
  spindle::SchedulerOptions so;
  so.stack_size = 16 * 1024;
  so.watchdog_threshold = std::chrono::milliseconds(0);
  spindle::test::RunInScheduler(
      [&] {
        try {
          t.render(deep);
        } catch (const TemplateError& e) {
          error = e.what();
        }
      },
      so);
  so.stack_size = 64 * 1024;  // room for 41 levels
  spindle::test::RunInScheduler(
      [&] {
        const uintptr_t lo = StackLow();
        PaintUnusedStack(lo);
        t.render(one);
        untouched_1 = UntouchedStack(lo);
        PaintUnusedStack(lo);
        printed = t.render(forty);
        untouched_41 = UntouchedStack(lo);
      },
      so);
  EXPECT_EQ(error.find("data:1:1: value nested 100000 deep is too deep to print"), 0u) << error;
  EXPECT_EQ(printed, std::string(41, '[') + std::string(41, ']'));
  const size_t per_level = (untouched_1 - untouched_41) / 40;
  std::printf("[ stack    ] json::dump: %zu bytes per level (the renderer assumes %zu)\n",
              per_level, spindle::mustache::kDumpBytesPerLevel);
  EXPECT_LE(per_level, spindle::mustache::kDumpBytesPerLevel);
}

// Outside any scheduler the bounds come from pthread_getattr_np: a thread
// with a small stack gets the same error.
TEST(StackLimitThread, PlainThreadWithASmallStack) {
  pthread_attr_t attr;
  ASSERT_EQ(pthread_attr_init(&attr), 0);
#if defined(__SANITIZE_ADDRESS__)
  const size_t size = 256 * 1024;
#else
  const size_t size = 64 * 1024;
#endif
  ASSERT_EQ(pthread_attr_setstacksize(&attr, size), 0);
  static Outcome out;
  pthread_t th;
  ASSERT_EQ(pthread_create(
                &th, &attr,
                [](void*) -> void* {
                  out = RenderRunaway(Kind::kPartial);
                  return nullptr;
                },
                nullptr),
            0);
  pthread_join(th, nullptr);
  pthread_attr_destroy(&attr);
  CheckOutcome(out, "Partial on a " + std::to_string(size / 1024) + " KiB pthread");
}

}  // namespace
}  // namespace spindle::test
