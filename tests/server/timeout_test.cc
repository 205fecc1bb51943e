// Timeouts that fire: request_timeout ends a request within ~100 ms of the
// limit (504 if no head went out, and the connection stays usable; an abort
// otherwise), cancelling the handler's waits, even though idle_timeout is
// much longer; and a frame trickling in one byte at a time is cut off
// idle_timeout after its first byte. The real spindled over its socket.
#include "daemon_harness.hpp"
#include "frame_client.hpp"

#include <gtest/gtest.h>
#include <spindle_protocol.h>

#include <chrono>
#include <memory>
#include <string>
#include <thread>

namespace spindle::test {
namespace {

using namespace std::chrono_literals;
using Ms = std::chrono::milliseconds;

std::unique_ptr<DaemonHarness> StartDaemon(const std::string& timeouts) {
  DaemonOptions o;
  o.yaml = "workers: 1\n" + timeouts + "log:\n  level: info\napps:\n"
           "  - name: hello\n    path: ${HELLO_APP}\n    mount: /\n"
           "  - name: test\n    path: " SPINDLE_TEST_APP "\n    mount: /t\n";
  return std::make_unique<DaemonHarness>(o);
}

Ms Since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration_cast<Ms>(std::chrono::steady_clock::now() - t);
}

TEST(RequestTimeout, SlowHandlerGets504AtTheLimitAndTheConnectionStays) {
  auto d = StartDaemon("request_timeout: 1s\nidle_timeout: 6s\n");
  FrameClient c(d->socket_path());
  auto start = std::chrono::steady_clock::now();
  FrameResponse r = c.Request("GET", "/t/sleep?ms=5000");
  Ms took = Since(start);
  EXPECT_EQ(r.status, 504);
  EXPECT_TRUE(r.ended);
  EXPECT_GE(took, 950ms);
  EXPECT_LE(took, 1200ms) << "request_timeout fired late";
  EXPECT_EQ(c.Request("GET", "/hello").status, 200);
  std::string log = d->Log();
  EXPECT_NE(log.find("test-app: sleep cancelled"), std::string::npos) << log;
  EXPECT_NE(log.find("exceeded request_timeout"), std::string::npos) << log;
}

TEST(RequestTimeout, StreamingHandlerIsAbortedAtTheLimit) {
  auto d = StartDaemon("request_timeout: 1s\nidle_timeout: 6s\n");
  FrameClient c(d->socket_path());
  auto start = std::chrono::steady_clock::now();
  FrameResponse r = c.Request("GET", "/stream?chunks=100&ms=100");
  Ms took = Since(start);
  EXPECT_EQ(r.status, 200);
  EXPECT_TRUE(r.aborted);
  EXPECT_FALSE(r.ended);
  EXPECT_GE(r.chunks.size(), 5u);
  EXPECT_LE(took, 1200ms);
  EXPECT_TRUE(c.WaitClosed(2s));
}

TEST(RequestTimeout, ZeroMeansNoLimit) {
  auto d = StartDaemon("request_timeout: 0\nidle_timeout: 1s\n");
  FrameClient c(d->socket_path());
  // Longer than idle_timeout: a running handler is not idle.
  EXPECT_EQ(c.Request("GET", "/t/sleep?ms=1500").status, 200);
}

TEST(FrameDeadline, OneByteAtATimeIsCutOffAfterIdleTimeout) {
  auto d = StartDaemon("idle_timeout: 1s\n");
  FrameClient c(d->socket_path(), 5s);
  // A REQUEST_HEAD frame header announcing 100 bytes, then a byte every
  // 200 ms: every single read is well within idle_timeout.
  std::string header(SPINDLE_FRAME_HEADER_SIZE, '\0');
  spindle_frame_header_encode(reinterpret_cast<uint8_t*>(header.data()),
                              SPINDLE_FRAME_REQUEST_HEAD, 100);
  auto start = std::chrono::steady_clock::now();
  bool closed = false;
  for (size_t i = 0; i < 40 && !closed; ++i) {
    try {
      c.SendRaw(i < header.size() ? header.substr(i, 1) : std::string(1, '\0'));
    } catch (const std::exception&) {
      closed = true;  // the daemon closed it: the write failed
      break;
    }
    closed = c.WaitClosed(200ms);
  }
  EXPECT_TRUE(closed) << "a trickled frame held the connection for " << Since(start).count()
                      << " ms";
  EXPECT_LE(Since(start), 2500ms);
  std::string log = d->Log();
  EXPECT_NE(log.find("still incomplete after idle_timeout"), std::string::npos) << log;
}

}  // namespace
}  // namespace spindle::test
