// golden.hpp: reads the wire protocol's golden byte vectors
// (tests/data/protocol/*.hex, format in its README) for every test that
// compares an encoder's output with them or feeds them to a decoder: the
// codec's (tests/protocol), the daemon's FrameWriter (tests/protocol) and
// the nginx module's (tests/module). Test-thread helper, no state.
#pragma once

#include <cstdio>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>

namespace spindle::test {

// The bytes of tests/data/protocol/<name>; throws if the file is missing.
inline std::string ReadGolden(const std::string& name) {
  const std::string path = std::string(SPINDLE_SOURCE_DIR) + "/tests/data/protocol/" + name;
  std::ifstream in(path);
  if (!in.good()) throw std::runtime_error("missing golden vector " + path);
  std::string out, line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream words(line);
    std::string byte;
    while (words >> byte) out.push_back(static_cast<char>(std::stoul(byte, nullptr, 16)));
  }
  return out;
}

// Bytes as spaced hex pairs, so that a failed comparison shows where.
inline std::string Hex(const std::string& bytes) {
  std::string out;
  char pair[4];
  for (unsigned char c : bytes) {
    std::snprintf(pair, sizeof pair, "%02x ", c);
    out += pair;
  }
  return out;
}

}  // namespace spindle::test
