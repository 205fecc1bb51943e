// Reactor and socket helpers with real sockets: readiness, deadlines,
// cancellation, EOF/HUP, forget_fd, back-pressure on large writes, writev,
// and accept/connect over unix and TCP (kernel-chosen ports, temp dirs).
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <time.h>

#include <cerrno>
#include <cstdlib>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include <spindle/fiber.hpp>
#include <spindle/io.hpp>

#include "fiber_test.hpp"

namespace spindle::test {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

struct Pair {
  int a = -1, b = -1;
  Pair() {
    int fds[2];
    EXPECT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds), 0);
    a = fds[0];
    b = fds[1];
  }
  ~Pair() {
    Close(a);
    Close(b);
  }
  static void Close(int& fd) {
    if (fd >= 0) {
      forget_fd(fd);
      ::close(fd);
      fd = -1;
    }
  }
};

FIBER_TEST(Io, ReadWaitsForData) {
  Pair p;
  std::string got;
  Fiber reader = spawn([&] {
    char buf[16];
    const IoResult r = read_some(p.a, buf, sizeof buf, Deadline::after(seconds(10)));
    ASSERT_GT(r.n, 0);
    got.assign(buf, static_cast<size_t>(r.n));
  });
  this_fiber::yield();
  EXPECT_TRUE(got.empty());  // parked, not busy
  const IoResult w = write_all(p.b, "hello", 5, Deadline::after(seconds(10)));
  EXPECT_EQ(w.n, 5);
  EXPECT_EQ(w.err, 0);
  reader.join();
  EXPECT_EQ(got, "hello");
}

double ThreadCpuMs() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) / 1e6;
}

// Data nobody reads, while its fiber is parked on something else: the
// reactor keeps the interest for a few polls (the fiber is usually about to
// read), then drops it, so the scheduler sleeps instead of spinning; the
// next wait still sees the data at once (level-triggered).
FIBER_TEST(Io, UnreadDataWhileTheFiberIsElsewhereDoesNotSpin) {
  Pair p;
  ASSERT_EQ(write_all(p.b, "x", 1, Deadline::after(seconds(10))).n, 1);
  ASSERT_EQ(wait_fd(p.a, kReadable, Deadline::after(seconds(10))).status, WaitStatus::kOk);
  const double cpu0 = ThreadCpuMs();
  EXPECT_EQ(this_fiber::sleep_for(milliseconds(200)), WaitStatus::kOk);  // the data stays unread
  EXPECT_LT(ThreadCpuMs() - cpu0, 50.0) << "the scheduler spun on a ready fd nobody waited for";
  const IoWait again = wait_fd(p.a, kReadable, Deadline::after(milliseconds(500)));
  EXPECT_EQ(again.status, WaitStatus::kOk);
  EXPECT_NE(again.ready & kReadable, 0u);
}

FIBER_TEST(Io, DeadlineAndCancellation) {
  Pair p;
  char buf[4];
  IoResult r = read_some(p.a, buf, sizeof buf, Deadline::after(milliseconds(2)));
  EXPECT_EQ(r.n, -1);
  EXPECT_EQ(r.err, ETIMEDOUT);
  const IoWait w = wait_fd(p.a, kReadable, Deadline::after(milliseconds(1)));
  EXPECT_EQ(w.status, WaitStatus::kTimeout);
  Fiber f = spawn([&] {
    char b2[4];
    const IoResult r2 = read_some(p.a, b2, sizeof b2, Deadline::never());
    EXPECT_EQ(r2.err, ECANCELED);
  });
  this_fiber::yield();
  f.cancel();
  f.join();
  // The fd is still usable afterwards (the waiter slot was cleared).
  ASSERT_EQ(::write(p.b, "x", 1), 1);
  r = read_some(p.a, buf, sizeof buf, Deadline::after(seconds(10)));
  EXPECT_EQ(r.n, 1);
}

FIBER_TEST(Io, PeerCloseIsEofAndHupIsReadableWritable) {
  Pair p;
  Fiber f = spawn([&] {
    const IoWait w = wait_fd(p.a, kReadable | kWritable, Deadline::after(seconds(10)));
    EXPECT_EQ(w.status, WaitStatus::kOk);
    EXPECT_NE(w.ready & kWritable, 0u);  // a socketpair is writable at once
  });
  f.join();
  Pair::Close(p.b);
  const IoWait w = wait_fd(p.a, kReadable, Deadline::after(seconds(10)));
  EXPECT_EQ(w.status, WaitStatus::kOk);
  EXPECT_EQ(w.ready, kReadable | kWritable);
  char buf[4];
  const IoResult r = read_some(p.a, buf, sizeof buf, Deadline::after(seconds(10)));
  EXPECT_EQ(r.n, 0);
  EXPECT_EQ(r.err, 0);
  const IoResult wr = write_all(p.a, "x", 1, Deadline::after(seconds(10)));
  EXPECT_EQ(wr.err, EPIPE);
}

FIBER_TEST(Io, ForgetFdWakesWaiter) {
  Pair p;
  IoWait w{WaitStatus::kTimeout, 0};
  Fiber f = spawn([&] { w = wait_fd(p.a, kReadable, Deadline::after(seconds(10))); });
  this_fiber::yield();
  forget_fd(p.a);
  f.join();
  EXPECT_EQ(w.status, WaitStatus::kOk);
  EXPECT_EQ(w.ready, kReadable | kWritable);
}

FIBER_TEST(Io, TwoWaitersOnOneDirectionIsMisuse) {
  Pair p;
  Fiber f = spawn([&] { (void)wait_fd(p.a, kReadable, Deadline::after(seconds(10))); });
  this_fiber::yield();
  EXPECT_THROW((void)wait_fd(p.a, kReadable, Deadline::after(seconds(1))), std::logic_error);
  // A writer may wait at the same time as the reader.
  const IoWait w = wait_fd(p.a, kWritable, Deadline::after(seconds(10)));
  EXPECT_EQ(w.status, WaitStatus::kOk);
  f.cancel();
  f.join();
}

FIBER_TEST(Io, LargeWriteWithBackPressureAndWritev) {
  Pair p;
  const std::string big(4 << 20, 'z');  // far more than the socket buffer
  size_t received = 0;
  bool all_z = true;
  Fiber reader = spawn([&] {
    std::vector<char> buf(64 << 10);
    while (received < big.size() + 6) {
      const IoResult r = read_some(p.a, buf.data(), buf.size(), Deadline::after(seconds(20)));
      ASSERT_GT(r.n, 0) << "err " << r.err;
      for (ssize_t i = 0; i < r.n && received + i < big.size(); ++i) all_z &= buf[i] == 'z';
      received += static_cast<size_t>(r.n);
    }
  });
  const IoResult w = write_all(p.b, big.data(), big.size(), Deadline::after(seconds(20)));
  EXPECT_EQ(w.err, 0);
  EXPECT_EQ(static_cast<size_t>(w.n), big.size());
  char x[] = "abc", y[] = "def";
  iovec iov[3] = {{x, 3}, {nullptr, 0}, {y, 3}};
  const IoResult wv = writev_all(p.b, iov, 3, Deadline::after(seconds(10)));
  EXPECT_EQ(wv.n, 6);
  reader.join();
  EXPECT_EQ(received, big.size() + 6);
  EXPECT_TRUE(all_z);
}

FIBER_TEST(Io, AcceptAndConnectUnix) {
  char dir_template[] = "/tmp/spindle-io-XXXXXX";
  ASSERT_NE(::mkdtemp(dir_template), nullptr);
  const std::string path = std::string(dir_template) + "/s.sock";
  const int lfd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", path.c_str());
  ASSERT_EQ(::bind(lfd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(::listen(lfd, 16), 0);
  int err = 0;
  EXPECT_EQ(spindle::accept(lfd, Deadline::after(milliseconds(2)), &err), -1);
  EXPECT_EQ(err, ETIMEDOUT);
  Fiber server = spawn([&] {
    int e = 0;
    const int cfd = spindle::accept(lfd, Deadline::after(seconds(10)), &e);
    ASSERT_GE(cfd, 0) << e;
    EXPECT_NE(::fcntl(cfd, F_GETFL) & O_NONBLOCK, 0);
    EXPECT_NE(::fcntl(cfd, F_GETFD) & FD_CLOEXEC, 0);
    char buf[8];
    const IoResult r = read_some(cfd, buf, sizeof buf, Deadline::after(seconds(10)));
    EXPECT_EQ(r.n, 4);
    EXPECT_EQ(write_all(cfd, "pong", 4, Deadline::after(seconds(10))).err, 0);
    forget_fd(cfd);
    ::close(cfd);
  });
  const int fd = connect_unix(path, Deadline::after(seconds(10)), &err);
  ASSERT_GE(fd, 0) << err;
  EXPECT_EQ(write_all(fd, "ping", 4, Deadline::after(seconds(10))).err, 0);
  char buf[8];
  const IoResult r = read_some(fd, buf, sizeof buf, Deadline::after(seconds(10)));
  EXPECT_EQ(std::string(buf, r.n > 0 ? r.n : 0), "pong");
  server.join();
  forget_fd(fd);
  ::close(fd);
  EXPECT_EQ(connect_unix(std::string(dir_template) + "/missing.sock", Deadline::after(seconds(5)), &err), -1);
  EXPECT_EQ(err, ENOENT);
  forget_fd(lfd);
  ::close(lfd);
  ::unlink(path.c_str());
  ::rmdir(dir_template);
}

FIBER_TEST(Io, ConnectTcpLiteralAndName) {
  const int lfd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(lfd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  socklen_t len = sizeof addr;
  ASSERT_EQ(::getsockname(lfd, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  ASSERT_EQ(::listen(lfd, 16), 0);
  const uint16_t port = ntohs(addr.sin_port);
  int accepted = 0;
  Fiber server = spawn([&] {
    for (int i = 0; i < 2; ++i) {
      int e = 0;
      const int cfd = spindle::accept(lfd, Deadline::after(seconds(10)), &e);
      ASSERT_GE(cfd, 0) << e;
      ++accepted;
      ::close(cfd);
    }
  });
  for (const char* host : {"127.0.0.1", "localhost"}) {
    int err = 0;
    const int fd = connect_tcp(host, port, Deadline::after(seconds(10)), &err);
    ASSERT_GE(fd, 0) << host << " err " << err;
    forget_fd(fd);
    ::close(fd);
  }
  server.join();
  EXPECT_EQ(accepted, 2);
  forget_fd(lfd);
  ::close(lfd);
  // Nothing listens on the port any more.
  int err = 0;
  EXPECT_EQ(connect_tcp("127.0.0.1", port, Deadline::after(seconds(10)), &err), -1);
  EXPECT_EQ(err, ECONNREFUSED);
}

}  // namespace
}  // namespace spindle::test
