// ready_signal.cpp: see ready_signal.hpp.
#include "server/ready_signal.hpp"

#include <unistd.h>

#include <cerrno>

namespace spindle::server {
namespace {
int g_ready_fd = -1;
}

void SetReadyFd(int fd) { g_ready_fd = fd; }

void NotifyReady() {
  if (g_ready_fd < 0) return;
  char byte = 'R';
  ssize_t n;
  do {
    n = ::write(g_ready_fd, &byte, 1);
  } while (n < 0 && errno == EINTR);
  ::close(g_ready_fd);
  g_ready_fd = -1;
}

}  // namespace spindle::server
