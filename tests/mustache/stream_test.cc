// Streaming renders on the fiber engine: a 10 MB page rendered through a
// ChunkedSink must not stall the other fibers of the scheduler. Fairness is
// measured as a count of interleavings (never wall time): between two turns
// of the ping-answering fiber, at most one chunk may be rendered.
#include <algorithm>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <spindle/channel.hpp>
#include <spindle/fiber.hpp>
#include <spindle/mustache.hpp>
#include <spindle/mustache_set.hpp>
#include <spindle/mustache_sink.hpp>
#include <spindle/scheduler.hpp>

namespace spindle::test {
namespace {

using nlohmann::json;
using spindle::ChannelStatus;
using spindle::ChunkedSink;
using spindle::Template;

constexpr size_t kChunk = 8 * 1024;

// ~100 bytes per row: 100,000 rows make a 10 MB page.
json BigPageData(size_t rows) {
  json list = json::array();
  for (size_t i = 0; i < rows; ++i) {
    list.push_back({{"id", i}, {"name", "row <" + std::to_string(i) + ">"},
                    {"text", "the quick brown fox jumps over the lazy dog & co"}});
  }
  return {{"title", "big"}, {"rows", std::move(list)}};
}

const char* kPage =
    "<html><title>{{title}}</title><table>\n"
    "{{#rows}}\n"
    "<tr><td>{{id}}</td><td>{{name}}</td><td>{{text}}</td></tr>\n"
    "{{/rows}}\n"
    "</table></html>\n";

// The largest number of 'C' (chunk) events between two 'P' (ping answered)
// events, counting the run before the first ping and after the last.
size_t MaxChunksBetweenPings(const std::vector<char>& events) {
  size_t run = 0, worst = 0;
  for (char e : events) {
    if (e == 'C') {
      worst = std::max(worst, ++run);
    } else {
      run = 0;
    }
  }
  return worst;
}

TEST(MustacheStream, TenMegabytePageDoesNotStallAPingFiber) {
  const json data = BigPageData(100000);
  const Template page = Template::compile(kPage, "big");
  std::vector<char> events;  // one scheduler thread: no locking needed
  size_t rendered = 0, pings = 0, chunks = 0;

  spindle::Scheduler sched;
  sched.run([&] {
    spindle::Channel<int> requests(1024), replies(1024);
    bool render_done = false;

    // The ping server answers one request per turn, like a connection fiber.
    auto server = spindle::spawn([&] {
      int v;
      while (!render_done && requests.pop(v) == ChannelStatus::kSuccess) {
        events.push_back('P');
        ++pings;
        if (replies.push(v) != ChannelStatus::kSuccess) break;
        spindle::this_fiber::yield();
      }
      replies.close();
    }, "ping-server");
    // The client keeps requests queued so the server never waits for one.
    auto client = spindle::spawn([&] {
      for (int i = 0; i < 1024; ++i) (void)requests.push(i);
      int v;
      while (replies.pop(v) == ChannelStatus::kSuccess) {
        if (requests.push(v) != ChannelStatus::kSuccess) break;
      }
      requests.close();
    }, "ping-client");
    auto renderer = spindle::spawn([&] {
      ChunkedSink sink([&](std::string_view c) {
        events.push_back('C');
        rendered += c.size();
      }, kChunk);
      page.render(data, sink);
      sink.flush();
      chunks = sink.chunks_emitted();
      render_done = true;
    }, "renderer");
    renderer.join();
    server.join();
    client.join();
  });

  EXPECT_GT(rendered, 10u * 1000 * 1000);
  EXPECT_EQ(chunks, (rendered + kChunk - 1) / kChunk);
  EXPECT_EQ(static_cast<size_t>(std::count(events.begin(), events.end(), 'C')), chunks);
  // The ping fiber ran between every two chunks...
  EXPECT_LE(MaxChunksBetweenPings(events), 1u);
  EXPECT_GE(pings + 1, chunks);
  // ...and the output is exactly what a one-shot render produces.
  spindle::StringSink whole;
  page.render(data, whole);
  EXPECT_EQ(whole.str().size(), rendered);
}

TEST(MustacheStream, RenderErrorMidStreamEndsOnlyThatFiber) {
  spindle::TemplateSet set;
  // ~20 KB of rows, then a partial that does not exist (strict mode).
  set.add_source("page", "{{#rows}}{{text}}\n{{/rows}}{{>missing}}tail");
  json data = BigPageData(200);
  spindle::RenderOptions strict;
  strict.strict_partials = true;
  std::string error;
  size_t chunks = 0, emitted = 0;
  int other_turns = 0;

  spindle::Scheduler sched;
  sched.run([&] {
    bool done = false;
    auto other = spindle::spawn([&] {
      while (!done) {
        ++other_turns;
        spindle::this_fiber::yield();
      }
    });
    auto renderer = spindle::spawn([&] {
      ChunkedSink sink([&](std::string_view c) { emitted += c.size(); }, 4096);
      try {
        set.render("page", data, sink, strict);
        sink.flush();
      } catch (const spindle::TemplateError& e) {
        error = e.what();
      }
      chunks = sink.chunks_emitted();
      done = true;
    });
    renderer.join();
    other.join();
  });

  EXPECT_EQ(error, "page:2:10: unknown partial 'missing'");
  EXPECT_GE(chunks, 2u);
  EXPECT_EQ(emitted, chunks * 4096);  // no truncated tail was flushed
  EXPECT_GE(static_cast<size_t>(other_turns), chunks);
}

TEST(MustacheStream, RunawayRecursionInAFiberThrowsWithinTheDefaultStack) {
  // max_depth (64) levels of partial recursion must fit the engine's default
  // fiber stack; the render ends with a TemplateError, not a stack overflow.
  spindle::TemplateSet set;
  set.add_source("loop", "{{#a}}{{>loop}}{{/a}}");
  json data = {{"a", {{"a", true}}}};
  std::string error;
  spindle::Scheduler sched;
  sched.run([&] {
    spindle::spawn([&] {
      spindle::StringSink sink;
      try {
        set.render("loop", data, sink);
      } catch (const spindle::TemplateError& e) {
        error = e.what();
      }
    }).join();
  });
  EXPECT_NE(error.find("nested deeper than max_depth 64"), std::string::npos) << error;
}

}  // namespace
}  // namespace spindle::test
