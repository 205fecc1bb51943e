// Fiber-blocking fd waits and nonblocking socket helpers on the scheduler's
// epoll reactor.
//
// Fiber contract: every call here may suspend, must run in a fiber, takes a
// Deadline, and ends early when the fiber is cancelled (kCancelled /
// ECANCELED). fds must be nonblocking (the helpers below create them so).
// Only one fiber may wait on a given fd per direction at a time.
#pragma once

#include <sys/types.h>
#include <sys/uio.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include <spindle/deadline.hpp>

namespace spindle {

enum : unsigned { kReadable = 1, kWritable = 2 };

struct IoWait {
  WaitStatus status;
  unsigned ready;  // kReadable/kWritable bits; EPOLLERR/EPOLLHUP set both
};

// Parks until fd is ready for `interest`, the deadline passes, or the fiber
// is cancelled. Level-triggered: returns at once (after one poll) if the fd is
// already ready.
IoWait wait_fd(int fd, unsigned interest, Deadline deadline);

// Call before closing an fd that was waited on: drops its epoll registration
// and wakes any fiber still waiting on it (ready = readable|writable, so it
// retries and sees the error). Never suspends.
void forget_fd(int fd) noexcept;

// `err` is an errno value, ETIMEDOUT for a deadline, ECANCELED for
// cancellation. n == 0 && err == 0 means EOF (reads).
struct IoResult {
  ssize_t n;
  int err;
};

// Reads at most len bytes once some are available.
IoResult read_some(int fd, void* buf, size_t len, Deadline deadline);
// Writes everything (n = bytes written, also on error).
IoResult write_all(int fd, const void* buf, size_t len, Deadline deadline);
// Writes every iovec; modifies iov/iovcnt contents as it goes.
IoResult writev_all(int fd, iovec* iov, int iovcnt, Deadline deadline);

// Returns a nonblocking, close-on-exec fd, or -1 with *err set.
int accept(int listen_fd, Deadline deadline, int* err);
int connect_unix(const std::string& path, Deadline deadline, int* err);
// host is an IPv4/IPv6 literal or a name (resolved with getaddrinfo on the
// offload pool).
int connect_tcp(const std::string& host, uint16_t port, Deadline deadline, int* err);

}  // namespace spindle
