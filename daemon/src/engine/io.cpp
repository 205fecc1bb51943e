// wait_fd, forget_fd and the nonblocking socket helpers: see <spindle/io.hpp>.
// Scheduler thread only; every wait parks the calling fiber on the reactor.
#include <spindle/io.hpp>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <vector>

#include <spindle/offload.hpp>

#include "engine/scheduler_impl.hpp"

namespace spindle {

using engine::FiberContext;
using engine::SchedulerImpl;

namespace {

int ErrFor(WaitStatus st) { return st == WaitStatus::kTimeout ? ETIMEDOUT : ECANCELED; }

// Waits until fd is ready in `interest`; 0 or an errno value.
int WaitReady(int fd, unsigned interest, Deadline deadline) {
  const IoWait w = wait_fd(fd, interest, deadline);
  if (w.status != WaitStatus::kOk) return ErrFor(w.status);
  return 0;
}

int ConnectAddr(const sockaddr* addr, socklen_t len, Deadline deadline, int* err) {
  const int fd = ::socket(addr->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    *err = errno;
    return -1;
  }
  if (addr->sa_family == AF_INET || addr->sa_family == AF_INET6) {
    const int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  }
  int rc;
  do {
    rc = ::connect(fd, addr, len);
  } while (rc != 0 && errno == EINTR);
  if (rc != 0 && errno != EINPROGRESS && errno != EAGAIN) {
    *err = errno;
    ::close(fd);
    return -1;
  }
  if (rc != 0) {
    int e = WaitReady(fd, kWritable, deadline);
    if (e == 0) {
      socklen_t elen = sizeof e;
      if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &elen) != 0) e = errno;
    }
    if (e != 0) {
      forget_fd(fd);
      ::close(fd);
      *err = e;
      return -1;
    }
  }
  *err = 0;
  return fd;
}

}  // namespace

IoWait wait_fd(int fd, unsigned interest, Deadline deadline) {
  SchedulerImpl* sched = SchedulerImpl::Current();
  if (sched == nullptr || !sched->InFiber()) {
    throw std::logic_error("spindle: wait_fd() outside a fiber");
  }
  FiberContext* self = sched->Running();
  if (self->cancelled || self->unwinding) return {WaitStatus::kCancelled, 0};
  if (!deadline.is_never() && Clock::now() >= deadline.time_point()) {
    return {WaitStatus::kTimeout, 0};
  }
  const int err = sched->reactor().AddWaiter(fd, interest & (kReadable | kWritable), self);
  if (err != 0) {
    // Not pollable (EPERM: a regular file) or a second waiter (EBUSY):
    // report the fd as ready so the caller's syscall surfaces the problem.
    if (err == EBUSY) throw std::logic_error("spindle: two fibers wait on one fd direction");
    return {WaitStatus::kOk, kReadable | kWritable};
  }
  self->io_ready = 0;
  const WaitStatus st = sched->Park(deadline, true);
  return {st, st == WaitStatus::kOk ? self->io_ready : 0u};
}

void forget_fd(int fd) noexcept {
  SchedulerImpl* sched = SchedulerImpl::Current();
  if (sched == nullptr) return;
  std::vector<FiberContext*> waiters;
  sched->reactor().Forget(fd, waiters);
  for (FiberContext* fc : waiters) {
    sched->reactor().RemoveWaiter(fc);
    fc->io_ready = kReadable | kWritable;
    sched->Wake(fc, WaitStatus::kOk);
  }
}

IoResult read_some(int fd, void* buf, size_t len, Deadline deadline) {
  for (;;) {
    const ssize_t n = ::read(fd, buf, len);
    if (n >= 0) return {n, 0};
    if (errno == EINTR) continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK) return {-1, errno};
    if (const int e = WaitReady(fd, kReadable, deadline)) return {-1, e};
  }
}

IoResult write_all(int fd, const void* buf, size_t len, Deadline deadline) {
  const char* p = static_cast<const char*>(buf);
  size_t done = 0;
  while (done < len) {
    const ssize_t n = ::send(fd, p + done, len - done, MSG_NOSIGNAL);
    if (n < 0 && errno == ENOTSOCK) {
      const ssize_t m = ::write(fd, p + done, len - done);  // a pipe, say
      if (m >= 0) {
        done += static_cast<size_t>(m);
        continue;
      }
    }
    if (n >= 0) {
      done += static_cast<size_t>(n);
      continue;
    }
    if (errno == EINTR) continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK) return {static_cast<ssize_t>(done), errno};
    if (const int e = WaitReady(fd, kWritable, deadline)) return {static_cast<ssize_t>(done), e};
  }
  return {static_cast<ssize_t>(done), 0};
}

IoResult writev_all(int fd, iovec* iov, int iovcnt, Deadline deadline) {
  size_t total = 0;
  while (iovcnt > 0) {
    if (iov->iov_len == 0) {
      ++iov;
      --iovcnt;
      continue;
    }
    ssize_t n = ::writev(fd, iov, iovcnt);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK) return {static_cast<ssize_t>(total), errno};
      if (const int e = WaitReady(fd, kWritable, deadline)) {
        return {static_cast<ssize_t>(total), e};
      }
      continue;
    }
    total += static_cast<size_t>(n);
    while (n > 0 && iovcnt > 0) {
      const size_t take = std::min(static_cast<size_t>(n), iov->iov_len);
      iov->iov_base = static_cast<char*>(iov->iov_base) + take;
      iov->iov_len -= take;
      n -= static_cast<ssize_t>(take);
      if (iov->iov_len == 0) {
        ++iov;
        --iovcnt;
      }
    }
  }
  return {static_cast<ssize_t>(total), 0};
}

int accept(int listen_fd, Deadline deadline, int* err) {
  for (;;) {
    const int fd = ::accept4(listen_fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd >= 0) {
      *err = 0;
      return fd;
    }
    if (errno == EINTR || errno == ECONNABORTED) continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK) {
      *err = errno;
      return -1;
    }
    if (const int e = WaitReady(listen_fd, kReadable, deadline)) {
      *err = e;
      return -1;
    }
  }
}

int connect_unix(const std::string& path, Deadline deadline, int* err) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof addr.sun_path) {
    *err = ENAMETOOLONG;
    return -1;
  }
  std::memcpy(addr.sun_path, path.data(), path.size());
  return ConnectAddr(reinterpret_cast<const sockaddr*>(&addr), sizeof addr, deadline, err);
}

int connect_tcp(const std::string& host, uint16_t port, Deadline deadline, int* err) {
  sockaddr_in v4{};
  v4.sin_family = AF_INET;
  v4.sin_port = htons(port);
  if (::inet_pton(AF_INET, host.c_str(), &v4.sin_addr) == 1) {
    return ConnectAddr(reinterpret_cast<const sockaddr*>(&v4), sizeof v4, deadline, err);
  }
  sockaddr_in6 v6{};
  v6.sin6_family = AF_INET6;
  v6.sin6_port = htons(port);
  if (::inet_pton(AF_INET6, host.c_str(), &v6.sin6_addr) == 1) {
    return ConnectAddr(reinterpret_cast<const sockaddr*>(&v6), sizeof v6, deadline, err);
  }
  // A name: getaddrinfo blocks, so resolve on the offload pool.
  addrinfo* res = nullptr;
  const int gai = offload([&] {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    const std::string service = std::to_string(port);
    return ::getaddrinfo(host.c_str(), service.c_str(), &hints, &res);
  });
  if (gai != 0) {
    *err = gai == EAI_SYSTEM ? errno : EHOSTUNREACH;
    return -1;
  }
  int fd = -1;
  *err = EHOSTUNREACH;
  for (addrinfo* ai = res; ai != nullptr && fd < 0; ai = ai->ai_next) {
    fd = ConnectAddr(ai->ai_addr, ai->ai_addrlen, deadline, err);
    if (*err == ETIMEDOUT || *err == ECANCELED) break;
  }
  ::freeaddrinfo(res);
  return fd;
}

}  // namespace spindle
