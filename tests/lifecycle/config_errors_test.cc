// Configuration validation through the real binary: `spindled --check-config
// -c FILE` exits 0 for a good file (binding nothing) and 1 for every class
// of error, whose message names file:line:column and the key path.
#include "daemon_harness.hpp"

#include <gtest/gtest.h>

#include <sys/stat.h>

#include <fstream>
#include <sstream>
#include <string>

namespace spindle::test {
namespace {

const char* kListen = "listen:\n  path: ${SOCK}\n";  // line 1-2

std::string App() {
  return std::string("apps:\n  - name: lc\n    path: ") + LIFECYCLE_APP + "\n    mount: /\n";
}

// Runs --check-config; expects exit 1 and `expected` after the file name.
void ExpectError(const std::string& yaml, const std::string& expected) {
  CheckResult r = CheckSpindledConfig(yaml);
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("spindled.yaml:" + expected), std::string::npos)
      << "expected 'spindled.yaml:" << expected << "' in:\n" << r.output;
}

TEST(ConfigErrors, UnknownKeys) {
  ExpectError(std::string(kListen) + "workers: 2\ncolour: red\n", "4:1: key 'colour': unknown key");
  ExpectError(std::string(kListen) + "scheduler:\n  max_ready: 3\n",
              "4:3: key 'scheduler.max_ready': unknown key");
  ExpectError(std::string(kListen) + "redis:\n  hostname: x\n",
              "4:3: key 'redis.hostname': unknown key");
}

TEST(ConfigErrors, WrongType) {
  ExpectError(std::string(kListen) + "workers: two\n",
              "3:10: key 'workers': expected auto or an integer 1..256, got \"two\"");
  ExpectError(std::string(kListen) + "offload_threads: [1, 2]\n",
              "3:18: key 'offload_threads': expected a scalar value");
  ExpectError(std::string(kListen) + "scheduler: 5\n", "3:12: key 'scheduler': expected a map");
  ExpectError(std::string(kListen) + "redis:\n  pool_size: many\n",
              "4:14: key 'redis.pool_size': expected a non-negative integer, got \"many\"");
}

TEST(ConfigErrors, OutOfRange) {
  ExpectError(std::string(kListen) + "scheduler:\n  accept_batch: 0\n",
              "4:17: key 'scheduler.accept_batch': value 0 is outside 1..1000000");
  ExpectError(std::string(kListen) + "offload_threads: 1000\n",
              "3:18: key 'offload_threads': value 1000 is outside 1..256");
  ExpectError(std::string(kListen) + "scheduler:\n  max_ready_per_poll: 0\n",
              "4:23: key 'scheduler.max_ready_per_poll': value 0 is outside 1..1000000");
}

TEST(ConfigErrors, BadDurationAndSize) {
  ExpectError(std::string(kListen) + "watchdog_threshold: fast\n",
              "3:21: key 'watchdog_threshold': expected a duration like 250ms, 10s or 2m, "
              "got \"fast\"");
  ExpectError(std::string(kListen) + "drain_timeout: 5 minutes\n",
              "3:16: key 'drain_timeout': expected a duration");
  ExpectError(std::string(kListen) + "stack_size: 64kb\n",
              "3:13: key 'stack_size': expected a size like 65536, 64k or 1m, got \"64kb\"");
}

TEST(ConfigErrors, MissingRequired) {
  ExpectError("workers: 1\n", "1:1: key 'listen': is required");
  ExpectError(std::string(kListen) + "apps:\n  - name: x\n", "4:5: key 'apps[0].path': is required");
}

TEST(ConfigErrors, YamlSyntaxError) {
  CheckResult r = CheckSpindledConfig(std::string(kListen) + "workers: [1, 2\nmax_inflight: 5\n");
  EXPECT_EQ(r.exit_code, 1) << r.output;
  // "spindled.yaml:LINE:COLUMN: " (std::regex warns under gcc -O1).
  auto has_position = [](const std::string& out) {
    for (size_t at = out.find("spindled.yaml:"); at != std::string::npos;
         at = out.find("spindled.yaml:", at + 1)) {
      size_t i = at + 14;
      auto digits = [&] {
        size_t start = i;
        while (i < out.size() && out[i] >= '0' && out[i] <= '9') ++i;
        return i > start;
      };
      if (digits() && i < out.size() && out[i++] == ':' && digits() &&
          out.compare(i, 2, ": ") == 0) {
        return true;
      }
    }
    return false;
  };
  EXPECT_TRUE(has_position(r.output)) << r.output;
}

TEST(ConfigErrors, CheckConfigAcceptsEveryKeyAndBindsNothing) {
  std::string yaml = std::string(kListen) +
                     "workers: 2\n"
                     "drain_timeout: 5s\n"
                     "offload_threads: 4\n"
                     "watchdog_threshold: 100ms\n"
                     "scheduler:\n  max_ready_per_poll: 16\n  accept_batch: 8\n"
                     "redis:\n  address: unix:${DIR}/redis.sock\n  pool_size: 3\n"
                     "  command_timeout: 500ms\n" +
                     App();
  CheckResult r = CheckSpindledConfig(yaml);
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("is ok"), std::string::npos) << r.output;
  // CheckSpindledConfig removes its temp dir; a socket in a dir we keep
  // proves nothing was bound.
  char tmpl[] = "/tmp/spindle-lc-XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  std::string sock = std::string(tmpl) + "/s.sock";
  std::string fixed = "listen:\n  path: " + sock + "\n" + yaml.substr(std::string(kListen).size());
  r = CheckSpindledConfig(fixed);
  EXPECT_EQ(r.exit_code, 0) << r.output;
  struct stat st;
  EXPECT_NE(stat(sock.c_str(), &st), 0) << "--check-config created the socket";
  rmdir(tmpl);
}

TEST(ConfigErrors, TheDocumentedDefaultFileIsValid) {
  std::ifstream in(std::string(SPINDLE_SOURCE_DIR) + "/conf/spindled.yaml");
  ASSERT_TRUE(in);
  std::stringstream buf;
  buf << in.rdbuf();
  std::string text = buf.str();
  // Same file, with paths that exist on a build machine.
  auto replace = [&text](const std::string& from, const std::string& to) {
    auto pos = text.find(from);
    ASSERT_NE(pos, std::string::npos) << from;
    text.replace(pos, from.size(), to);
  };
  replace("/run/spindle/spindled.sock", "${SOCK}");
  // The apps live under /usr/lib/spindle/apps once installed; check every
  // key of the file but load the built hello app in their place.
  auto apps = text.find("\napps:");
  ASSERT_NE(apps, std::string::npos);
  text.resize(apps);
  text += "\napps:\n  - name: hello\n    path: ${HELLO_APP}\n    mount: /\n";
  CheckResult r = CheckSpindledConfig(text);
  EXPECT_EQ(r.exit_code, 0) << r.output;
}

}  // namespace
}  // namespace spindle::test
