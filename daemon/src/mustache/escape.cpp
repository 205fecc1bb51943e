// escape.cpp: HTML escaping for {{name}} with a 256-entry table. Runs of
// safe bytes go to the sink in one write; no allocation.
//
// Thread/fiber contract: pure; suspends only inside Sink::write.
#include <array>
#include <cstdint>

#include <spindle/mustache.hpp>

namespace spindle {
namespace {

constexpr std::string_view kReplacements[] = {"", "&amp;", "&lt;", "&gt;", "&quot;", "&#39;"};

constexpr std::array<uint8_t, 256> MakeTable() {
  std::array<uint8_t, 256> t{};
  t['&'] = 1;
  t['<'] = 2;
  t['>'] = 3;
  t['"'] = 4;
  t['\''] = 5;
  return t;
}

constexpr std::array<uint8_t, 256> kTable = MakeTable();

}  // namespace

void WriteEscaped(Sink& sink, std::string_view text) {
  const char* p = text.data();
  const char* end = p + text.size();
  const char* run = p;
  for (; p != end; ++p) {
    uint8_t r = kTable[static_cast<unsigned char>(*p)];
    if (r == 0) continue;
    if (p != run) sink.write(std::string_view(run, p - run));
    sink.write(kReplacements[r]);
    run = p + 1;
  }
  if (p != run) sink.write(std::string_view(run, p - run));
}

}  // namespace spindle
