// Client: Redis from fibers. Calls look blocking but park only the calling
// fiber; commands from concurrent fibers are pipelined over a small pool of
// connections per worker (scheduler), driven by our hiredis adapter.
//
//   spindle::redis::Client redis(cfg);              // no I/O yet
//   redis.set("k", "v");                            // in a fiber
//   auto v = redis.get("k");                        // std::optional<std::string>
//   auto r = redis.command("HINCRBY", "h", "f", 2); // typed Reply
//   redis.until(request_deadline).get("k");         // never past the request
//
// Fiber contract: every call that talks to Redis may suspend and must run in
// a fiber of the scheduler that first used the client (one Client per worker;
// using it from another scheduler throws std::logic_error). Each call has a
// deadline: now + config.command_timeout, capped by until(). On failure calls
// throw a spindle::redis::Error (redis_errors.hpp); on cancellation of the
// calling fiber they throw spindle::Cancelled (the command may still run).
// A Client is a cheap, copyable handle; copies share the pool. close() (or
// destroying the last handle, in a fiber) ends the client's own fibers.
#pragma once

#include <charconv>
#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include <spindle/deadline.hpp>
#include <spindle/redis_config.hpp>
#include <spindle/redis_errors.hpp>
#include <spindle/redis_reply.hpp>
#include <spindle/redis_stats.hpp>

namespace spindle::redis {

namespace impl {
class ClientCore;
}
class Pipeline;
class Transaction;
class Subscription;

namespace detail {
// Keeps one command argument alive as bytes: strings by view (binary-safe
// when given a std::string or string_view), numbers formatted.
struct NumberArg {
  char buf[32];
  size_t len;
};
template <class T>
auto HoldArg(const T& v) {
  if constexpr (std::is_convertible_v<const T&, std::string_view>) {
    return std::string_view(v);
  } else if constexpr (std::is_arithmetic_v<T> && !std::is_same_v<T, bool>) {
    NumberArg n{};
    auto r = std::to_chars(n.buf, n.buf + sizeof(n.buf), v);
    n.len = static_cast<size_t>(r.ptr - n.buf);
    return n;
  } else {
    static_assert(std::is_convertible_v<const T&, std::string_view>,
                  "redis arguments are strings or numbers");
  }
}
inline std::string_view ViewArg(const std::string_view& s) { return s; }
inline std::string_view ViewArg(const NumberArg& n) { return {n.buf, n.len}; }

template <class F, class... Args>
decltype(auto) WithArgv(F&& f, const Args&... args) {
  auto held = std::make_tuple(HoldArg(args)...);
  return std::apply(
      [&](const auto&... h) {
        const std::string_view argv[] = {ViewArg(h)...};
        return f(std::span<const std::string_view>(argv, sizeof...(Args)));
      },
      held);
}
}  // namespace detail

class Client {
 public:
  explicit Client(Config config);
  ~Client();
  Client(const Client&) = default;
  Client& operator=(const Client&) = default;
  Client(Client&&) noexcept = default;
  Client& operator=(Client&&) noexcept = default;

  const Config& config() const noexcept;

  // A handle on the same pool whose calls never run past `deadline` (the
  // earlier of it and any cap this handle already has). Never suspends.
  Client until(Deadline deadline) const;

  // May suspend. Sends one command (argv: strings, binary-safe, or numbers)
  // and returns its reply; an error reply is returned as Reply::kError, not
  // thrown. Throws Unavailable, Timeout, or Cancelled.
  template <class... Args>
  Reply command(const Args&... args) const {
    static_assert(sizeof...(Args) > 0, "a redis command needs a name");
    return detail::WithArgv([this](std::span<const std::string_view> argv) {
      return command_argv(argv);
    }, args...);
  }
  Reply command_argv(std::span<const std::string_view> argv) const;

  // Convenience calls. May suspend. Like command(), and an error reply
  // (e.g. WRONGTYPE) throws ReplyError.
  std::optional<std::string> get(std::string_view key) const;
  void set(std::string_view key, std::string_view value) const;
  void set(std::string_view key, std::string_view value, std::chrono::milliseconds ttl) const;
  // SET NX (with PX ttl when ttl > 0): true if the key was set.
  bool set_nx(std::string_view key, std::string_view value,
              std::chrono::milliseconds ttl = std::chrono::milliseconds(0)) const;
  long long del(std::string_view key) const;
  long long del(const std::vector<std::string>& keys) const;
  bool exists(std::string_view key) const;
  long long incr(std::string_view key) const;
  long long incrby(std::string_view key, long long by) const;
  bool expire(std::string_view key, std::chrono::seconds ttl) const;
  long long ttl(std::string_view key) const;
  std::vector<std::optional<std::string>> mget(const std::vector<std::string>& keys) const;
  std::optional<std::string> hget(std::string_view key, std::string_view field) const;
  // True if the field is new.
  bool hset(std::string_view key, std::string_view field, std::string_view value) const;
  long long hdel(std::string_view key, std::string_view field) const;
  std::vector<std::pair<std::string, std::string>> hgetall(std::string_view key) const;
  long long lpush(std::string_view key, std::string_view value) const;
  long long rpush(std::string_view key, std::string_view value) const;
  std::optional<std::string> lpop(std::string_view key) const;
  std::vector<std::string> lrange(std::string_view key, long long start, long long stop) const;
  // Returns how many subscribers received the message.
  long long publish(std::string_view channel, std::string_view message) const;

  // Several commands of one fiber in one round trip, on one connection.
  Pipeline pipeline() const;
  // MULTI ... EXEC, sent back to back on one connection.
  Transaction transaction() const;

  // May suspend until Redis confirmed every (new) subscription. Messages
  // then arrive on the returned Subscription's channel. Throws Unavailable
  // (subscriber connection down), Timeout or Cancelled.
  Subscription subscribe(std::vector<std::string> channels) const;
  Subscription psubscribe(std::vector<std::string> patterns) const;

  // A snapshot of the counters and gauges. Never suspends.
  Stats stats() const;

  // May suspend (briefly). Fails every call in flight with Unavailable,
  // closes every subscription's channel, closes the connections and joins
  // the client's fibers. Later calls throw Unavailable. Idempotent.
  void close() const;

 private:
  friend class Pipeline;
  friend class Transaction;
  Client(std::shared_ptr<impl::ClientCore> core, Deadline cap)
      : core_(std::move(core)), cap_(cap) {}

  std::shared_ptr<impl::ClientCore> core_;
  Deadline cap_;
};

}  // namespace spindle::redis
