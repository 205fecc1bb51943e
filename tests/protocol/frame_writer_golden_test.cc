// The daemon's production encoder on the golden vectors: FrameWriter (the
// RESPONSE_* and ABORT frames of every app response) writes into one end
// of a socketpair and the bytes must be those of tests/data/protocol. The
// writes are small and the socket empty, so no fiber is needed (a full
// socket would make Flush wait, which needs one).
#include <gtest/gtest.h>

#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include "golden.hpp"
#include "server/frame_writer.hpp"

namespace spindle::test {
namespace {

class FrameWriterGolden : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, fds_), 0); }
  void TearDown() override {
    close(fds_[0]);
    close(fds_[1]);
  }

  // Everything the writer has flushed so far.
  std::string Written() {
    std::string out;
    char buf[4096];
    for (;;) {
      ssize_t n = recv(fds_[1], buf, sizeof buf, MSG_DONTWAIT);
      if (n <= 0) return out;
      out.append(buf, static_cast<size_t>(n));
    }
  }

  server::FrameWriter Writer() { return server::FrameWriter(fds_[0], std::chrono::seconds(1)); }

  int fds_[2] = {-1, -1};
};

using Headers = std::vector<std::pair<std::string, std::string>>;

TEST_F(FrameWriterGolden, ResponseIsTheResponseVector) {
  server::FrameWriter out = Writer();
  out.BeginResponse();
  const Headers headers = {{"Content-Type", "text/plain"}};
  EXPECT_EQ(out.HeadFrameSize(headers, headers.size()), 8u + 0x22u);
  out.AppendHead(200, headers, headers.size());
  ASSERT_TRUE(out.AppendBody("Hello"));
  out.AppendEnd();
  ASSERT_TRUE(out.Flush());
  EXPECT_EQ(Hex(Written()), Hex(ReadGolden("response_ok.hex")));
}

TEST_F(FrameWriterGolden, AbortIsTheAbortVector) {
  server::FrameWriter out = Writer();
  out.BeginResponse();
  out.AppendAbort("client closed");
  ASSERT_TRUE(out.Flush());
  EXPECT_EQ(Hex(Written()), Hex(ReadGolden("abort.hex")));
}

// Only n_headers of the vector count, and a draining writer adds its
// Connection: close; the sizes it reports are the bytes it writes.
TEST_F(FrameWriterGolden, HeadFrameSizeIsWhatAppendHeadWrites) {
  server::FrameWriter out = Writer();
  const Headers headers = {{"Content-Type", "text/plain"}, {"X-Unused", "y"}};
  for (bool draining : {false, true}) {
    out.BeginResponse();
    out.set_announce_close(draining);
    const size_t size = out.HeadFrameSize(headers, 1);
    out.AppendHead(200, headers, 1);
    ASSERT_TRUE(out.Flush());
    const std::string bytes = Written();
    EXPECT_EQ(bytes.size(), size) << draining;
    EXPECT_EQ(out.close_announced(), draining);
    if (!draining) {
      EXPECT_EQ(Hex(bytes), Hex(ReadGolden("response_ok.hex").substr(0, size)));
    }
  }
}

}  // namespace
}  // namespace spindle::test
