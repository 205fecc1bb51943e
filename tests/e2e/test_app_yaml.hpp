// test_app_yaml.hpp: the daemon config of the e2e suites that serve
// tests/server's test app at / with one worker; `extra` adds top-level
// sections (e.g. "limits:\n  max_body_size: 200m\n").
#pragma once

#include <string>

namespace spindle::test {

inline std::string TestAppYaml(const std::string& extra) {
  return "workers: 1\n" + extra +
         "apps:\n  - name: test\n    path: " SPINDLE_TEST_APP "\n    mount: /\n";
}

}  // namespace spindle::test
