// Runaway template recursion in the real spindled on its smallest fiber
// stack (stack_size: 16k): the request is answered 500, the worker logs the
// TemplateError, and the same worker goes on serving. Talks the wire
// protocol straight to the daemon (tests/server/frame_client), no nginx.
#include <stdlib.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "daemon_harness.hpp"
#include "frame_client.hpp"

namespace spindle::test {
namespace {

namespace fs = std::filesystem;

TEST(MustacheDaemon, RunawayRecursionOnA16KiBStackIsA500AndALogLine) {
  std::string dir = (fs::temp_directory_path() / "mustache-stack-XXXXXX").string();
  ASSERT_NE(mkdtemp(dir.data()), nullptr);
  std::ofstream(fs::path(dir) / "page.mustache") << "<p>{{title}}</p>\n";
  DaemonOptions o;
  o.yaml = "workers: 1\nstack_size: 16k\napps:\n  - name: tpl\n    path: " +
           std::string(SPINDLE_TEMPLATE_APP) + "\n    mount: /\n    config:\n      templates: " +
           dir + "\n";
  auto d = std::make_unique<DaemonHarness>(o);
  const auto workers = d->WorkerPids();
  for (int i = 0; i < 3; ++i) {
    FrameClient c(d->socket_path());
    FrameResponse r = c.Request("GET", "/recurse");
    EXPECT_EQ(r.status, 500) << d->Log();
  }
  EXPECT_TRUE(d->WaitForLog("templates nested too deep for the stack", std::chrono::seconds(5), 3))
      << d->Log();
  const std::string log = d->Log();
  const size_t at = log.find("templates nested too deep");
  if (at != std::string::npos) {
    const size_t b = log.rfind('\n', at) + 1;
    std::printf("[ log      ] %s\n", log.substr(b, log.find('\n', at) - b).c_str());
  }
  FrameClient c(d->socket_path());
  FrameResponse page = c.Request("GET", "/page?rows=1");
  EXPECT_EQ(page.status, 200);
  EXPECT_EQ(d->WorkerPids(), workers) << "a worker was restarted:\n" << d->Log();
  EXPECT_EQ(d->Log().find("fatal"), std::string::npos) << d->Log();
  d.reset();
  fs::remove_all(dir);
}

}  // namespace
}  // namespace spindle::test
