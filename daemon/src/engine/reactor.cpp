// Reactor implementation: see reactor.hpp. Scheduler thread only (except
// Notify).
#include "engine/reactor.hpp"

#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <system_error>

#include <spdlog/spdlog.h>
#include <spindle/io.hpp>

namespace spindle::engine {

namespace {

uint32_t MaskFor(const FiberContext* reader, const FiberContext* writer) {
  return (reader ? uint32_t{EPOLLIN | EPOLLRDHUP} : 0u) | (writer ? uint32_t{EPOLLOUT} : 0u);
}

}  // namespace

Reactor::Reactor() {
  epfd_ = ::epoll_create1(EPOLL_CLOEXEC);
  if (epfd_ < 0) throw std::system_error(errno, std::generic_category(), "epoll_create1");
  eventfd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (eventfd_ < 0) {
    const int err = errno;
    ::close(epfd_);
    throw std::system_error(err, std::generic_category(), "eventfd");
  }
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.fd = eventfd_;
  if (::epoll_ctl(epfd_, EPOLL_CTL_ADD, eventfd_, &ev) != 0) {
    const int err = errno;
    ::close(eventfd_);
    ::close(epfd_);
    throw std::system_error(err, std::generic_category(), "epoll_ctl eventfd");
  }
}

Reactor::~Reactor() {
  ::close(eventfd_);
  ::close(epfd_);
}

Reactor::FdState* Reactor::Slot(int fd) noexcept {
  if (fd < 0) return nullptr;
  if (static_cast<size_t>(fd) >= fds_.size()) {
    try {
      fds_.resize(static_cast<size_t>(fd) + 64);
    } catch (const std::bad_alloc&) {
      return nullptr;
    }
  }
  return &fds_[static_cast<size_t>(fd)];
}

int Reactor::AddWaiter(int fd, unsigned interest, FiberContext* fc) noexcept {
  FdState* st = Slot(fd);
  if (st == nullptr || fd == eventfd_) return EBADF;
  if ((interest & kReadable) && st->reader && st->reader != fc) return EBUSY;
  if ((interest & kWritable) && st->writer && st->writer != fc) return EBUSY;
  FiberContext* reader = (interest & kReadable) ? fc : st->reader;
  FiberContext* writer = (interest & kWritable) ? fc : st->writer;
  const uint32_t want = st->registered | MaskFor(reader, writer);
  if (want != st->registered) {
    epoll_event ev{};
    ev.events = want;
    ev.data.fd = fd;
    int rc = ::epoll_ctl(epfd_, st->registered ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, fd, &ev);
    // The fd may have been closed and reused without forget_fd (ENOENT), or
    // registered behind our back (EEXIST): retry with the other operation.
    if (rc != 0 && errno == ENOENT) rc = ::epoll_ctl(epfd_, EPOLL_CTL_ADD, fd, &ev);
    else if (rc != 0 && errno == EEXIST) rc = ::epoll_ctl(epfd_, EPOLL_CTL_MOD, fd, &ev);
    if (rc != 0) return errno;
    st->registered = want;
  }
  st->reader = reader;
  st->writer = writer;
  st->idle_events = 0;
  fc->io_fd = fd;
  fc->io_interest = interest;
  ++waiters_;
  return 0;
}

void Reactor::RemoveWaiter(FiberContext* fc) noexcept {
  if (fc->io_fd < 0) return;
  FdState& st = fds_[static_cast<size_t>(fc->io_fd)];
  if (st.reader == fc) st.reader = nullptr;
  if (st.writer == fc) st.writer = nullptr;
  fc->io_fd = -1;
  --waiters_;
}

void Reactor::Forget(int fd, std::vector<FiberContext*>& waiters) noexcept {
  if (fd < 0 || static_cast<size_t>(fd) >= fds_.size()) return;
  FdState& st = fds_[static_cast<size_t>(fd)];
  if (st.registered) ::epoll_ctl(epfd_, EPOLL_CTL_DEL, fd, nullptr);
  st.registered = 0;
  st.idle_events = 0;
  try {
    if (st.reader) waiters.push_back(st.reader);
    if (st.writer && st.writer != st.reader) waiters.push_back(st.writer);
  } catch (const std::bad_alloc&) {
  }
}

void Reactor::Update(int fd, FdState& st, uint32_t want) noexcept {
  if (want == st.registered) return;
  epoll_event ev{};
  ev.events = want;
  ev.data.fd = fd;
  if (::epoll_ctl(epfd_, want ? EPOLL_CTL_MOD : EPOLL_CTL_DEL, fd, &ev) != 0 && errno != ENOENT &&
      errno != EBADF) {
    spdlog::warn("reactor epoll_ctl on fd '{}' failed: {}", fd, std::strerror(errno));
  }
  st.registered = want;
}

void Reactor::HandleEvent(int fd, uint32_t events,
                          void (*on_ready)(void*, FiberContext*, unsigned), void* ctx) noexcept {
  if (static_cast<size_t>(fd) >= fds_.size()) return;
  FdState& st = fds_[static_cast<size_t>(fd)];
  unsigned ready = 0;
  if (events & (EPOLLIN | EPOLLRDHUP)) ready |= kReadable;
  if (events & EPOLLOUT) ready |= kWritable;
  if (events & (EPOLLERR | EPOLLHUP)) ready |= kReadable | kWritable;
  FiberContext* reader = (ready & kReadable) ? st.reader : nullptr;
  FiberContext* writer = (ready & kWritable) ? st.writer : nullptr;
  // Level-triggered: a ready direction nobody waits for fires on every poll.
  // Usually its fiber was woken by an earlier poll and has not run yet (the
  // scheduler polls between batches of max_ready_per_poll fibers): it will
  // read and wait again, so the interest is kept for kIdleEventsKept such
  // events — dropping it would cost an epoll_ctl now and another when the
  // fiber waits again, on every request under load. After that the fiber is
  // busy elsewhere (e.g. a full body buffer): drop it; the next waiter
  // registers it again.
  uint32_t want = st.registered;
  if ((ready & kReadable) && !st.reader) want &= ~uint32_t{EPOLLIN | EPOLLRDHUP};
  if ((ready & kWritable) && !st.writer) want &= ~uint32_t{EPOLLOUT};
  if ((events & (EPOLLERR | EPOLLHUP)) && !st.reader && !st.writer) want = 0;
  if (want != st.registered && ++st.idle_events > kIdleEventsKept) {
    st.idle_events = 0;
    Update(fd, st, want);
  }
  if (reader) {
    RemoveWaiter(reader);
    on_ready(ctx, reader, ready);
  }
  if (writer && writer != reader) {
    RemoveWaiter(writer);
    on_ready(ctx, writer, ready);
  }
}

bool Reactor::Poll(const timespec* timeout, void (*on_ready)(void*, FiberContext*, unsigned),
                   void* ctx) noexcept {
  int n;
  for (;;) {
    if (have_pwait2_) {
      n = ::epoll_pwait2(epfd_, events_, 256, timeout, nullptr);
      if (n < 0 && errno == ENOSYS) {
        have_pwait2_ = false;
        continue;
      }
    } else {
      int ms = -1;
      if (timeout) {
        // Round up so that a timer never fires early.
        const long long ns = timeout->tv_sec * 1000000000LL + timeout->tv_nsec;
        ms = static_cast<int>((ns + 999999) / 1000000);
      }
      n = ::epoll_wait(epfd_, events_, 256, ms);
    }
    if (n >= 0 || errno != EINTR) break;
  }
  if (n < 0) {
    spdlog::critical("reactor epoll_wait failed: {}", std::strerror(errno));
    return false;
  }
  bool notified = false;
  for (int i = 0; i < n; ++i) {
    const int fd = events_[i].data.fd;
    if (fd == eventfd_) {
      uint64_t v;
      while (::read(eventfd_, &v, sizeof v) < 0 && errno == EINTR) {
      }
      notified = true;
      continue;
    }
    HandleEvent(fd, events_[i].events, on_ready, ctx);
  }
  return notified;
}

void Reactor::Notify() noexcept {
  const uint64_t one = 1;
  while (::write(eventfd_, &one, sizeof one) < 0 && errno == EINTR) {
  }
}

}  // namespace spindle::engine
