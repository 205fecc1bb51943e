// escape.cpp: HTML escaping for {{name}} with a 256-entry table. A value
// with nothing to escape is one write; otherwise the escaped text is built
// in a stack buffer (no allocation) and written in one piece per 512 bytes.
//
// Thread/fiber contract: pure; suspends only inside Sink::write.
#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>

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

void write_escaped(Sink& sink, std::string_view text) {
  const char* p = text.data();
  const char* end = p + text.size();
  // Common case: nothing to escape, one write straight from the value.
  while (p != end && kTable[static_cast<unsigned char>(*p)] == 0) ++p;
  if (p == end) {
    sink.write(text);
    return;
  }
  // Otherwise assemble the escaped text in a stack buffer: one write per
  // kBuf bytes instead of one per run and per entity.
  constexpr size_t kBuf = 512;
  char buf[kBuf];
  size_t n = 0;
  auto put = [&](const char* s, size_t len) {
    while (len > 0) {
      if (n == kBuf) {
        sink.write(std::string_view(buf, n));
        n = 0;
      }
      size_t k = std::min(len, kBuf - n);
      std::memcpy(buf + n, s, k);
      n += k;
      s += k;
      len -= k;
    }
  };
  put(text.data(), static_cast<size_t>(p - text.data()));
  const char* run = p;
  for (; p != end; ++p) {
    uint8_t r = kTable[static_cast<unsigned char>(*p)];
    if (r == 0) continue;
    put(run, static_cast<size_t>(p - run));
    put(kReplacements[r].data(), kReplacements[r].size());
    run = p + 1;
  }
  put(run, static_cast<size_t>(p - run));
  if (n > 0) sink.write(std::string_view(buf, n));
}

}  // namespace spindle
