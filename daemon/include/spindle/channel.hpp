// Channel<T>: a bounded, closeable FIFO between fibers of one scheduler, with
// status results (like Boost.Fiber's channel_op_status).
//
// Fiber contract: belongs to one scheduler (not thread-safe). push/pop may
// suspend and must run in a fiber; they end with kTimeout at the deadline and
// kCancelled when the fiber is cancelled (the value is then not transferred).
// try_*, close, is_closed and size never suspend.
#pragma once

#include <algorithm>
#include <cstddef>
#include <deque>
#include <utility>

#include <spindle/deadline.hpp>
#include <spindle/wait_list.hpp>

namespace spindle {

enum class ChannelStatus { kSuccess, kClosed, kTimeout, kCancelled, kFull, kEmpty };

template <class T>
class Channel {
 public:
  // A capacity of 0 is treated as 1.
  explicit Channel(size_t capacity) : capacity_(std::max<size_t>(capacity, 1)) {}
  Channel(const Channel&) = delete;
  Channel& operator=(const Channel&) = delete;

  // May suspend while full. kSuccess, kClosed (closed before or while
  // waiting; the value is dropped), kTimeout or kCancelled.
  [[nodiscard]] ChannelStatus push(T value) { return push_until(std::move(value), Deadline::never()); }
  [[nodiscard]] ChannelStatus push_for(T value, Clock::duration d) {
    return push_until(std::move(value), Deadline::after(d));
  }
  [[nodiscard]] ChannelStatus push_until(T value, Deadline deadline) {
    for (;;) {
      if (closed_) return ChannelStatus::kClosed;
      if (items_.size() < capacity_) {
        items_.push_back(std::move(value));
        not_empty_.notify_one();
        return ChannelStatus::kSuccess;
      }
      const WaitStatus st = not_full_.wait_until(deadline);
      if (st != WaitStatus::kOk) return FromWait(st);
    }
  }

  // May suspend while empty. kSuccess, kClosed (closed and drained),
  // kTimeout or kCancelled.
  [[nodiscard]] ChannelStatus pop(T& out) { return pop_until(out, Deadline::never()); }
  [[nodiscard]] ChannelStatus pop_for(T& out, Clock::duration d) {
    return pop_until(out, Deadline::after(d));
  }
  [[nodiscard]] ChannelStatus pop_until(T& out, Deadline deadline) {
    for (;;) {
      if (!items_.empty()) {
        TakeFront(out);
        return ChannelStatus::kSuccess;
      }
      if (closed_) return ChannelStatus::kClosed;
      const WaitStatus st = not_empty_.wait_until(deadline);
      if (st != WaitStatus::kOk) return FromWait(st);
    }
  }

  [[nodiscard]] ChannelStatus try_push(T value) {
    if (closed_) return ChannelStatus::kClosed;
    if (items_.size() >= capacity_) return ChannelStatus::kFull;
    items_.push_back(std::move(value));
    not_empty_.notify_one();
    return ChannelStatus::kSuccess;
  }

  [[nodiscard]] ChannelStatus try_pop(T& out) {
    if (!items_.empty()) {
      TakeFront(out);
      return ChannelStatus::kSuccess;
    }
    return closed_ ? ChannelStatus::kClosed : ChannelStatus::kEmpty;
  }

  // Wakes every waiter: pushers get kClosed, poppers drain then get kClosed.
  void close() noexcept {
    closed_ = true;
    not_empty_.notify_all();
    not_full_.notify_all();
  }
  bool is_closed() const noexcept { return closed_; }
  size_t size() const noexcept { return items_.size(); }
  size_t capacity() const noexcept { return capacity_; }

 private:
  static ChannelStatus FromWait(WaitStatus st) noexcept {
    return st == WaitStatus::kTimeout ? ChannelStatus::kTimeout : ChannelStatus::kCancelled;
  }
  void TakeFront(T& out) {
    out = std::move(items_.front());
    items_.pop_front();
    not_full_.notify_one();
  }

  const size_t capacity_;
  bool closed_ = false;
  std::deque<T> items_;
  WaitList not_empty_;
  WaitList not_full_;
};

}  // namespace spindle
