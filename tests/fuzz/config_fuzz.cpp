// config_fuzz.cpp: fuzzes the spindled.yaml loader (daemon/src/config,
// config::LoadString) with arbitrary text. Property: it returns either a
// config or a non-empty error naming the file ("fuzz.yaml:..."), never both,
// and throws nothing; a loaded config is within the documented ranges
// (listen is exactly one of a unix path or host:port).
#include "config/config.hpp"

#include <spindle_protocol.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  spindle::config::LoadResult r = spindle::config::LoadString(text, "fuzz.yaml", "/fuzz");
  if (r.config) {
    CHECK(r.error.empty());
    const spindle::config::Config& c = *r.config;
    CHECK(c.listen.path.empty() != c.listen.host.empty());
    CHECK(c.limits.max_head_size >= 1024 && c.limits.max_head_size <= SPINDLE_MAX_HEAD_SIZE);
    for (const auto& app : c.apps) CHECK(!app.path.empty() && app.path[0] == '/');
  } else {
    CHECK(!r.error.empty());
    CHECK(r.error.compare(0, 10, "fuzz.yaml:") == 0);
  }
  return 0;
}
