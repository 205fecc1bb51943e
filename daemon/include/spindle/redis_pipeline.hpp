// Pipeline and Transaction: several commands of one fiber, formatted up
// front and sent back to back on one pooled connection (one round trip).
// A Transaction wraps them in MULTI ... EXEC; since nothing else is written
// to that connection in between, the block is atomic on the server.
//
//   auto p = redis.pipeline();
//   p.add("SET", "a", "1").add("INCR", "a");
//   std::vector<Reply> r = p.execute();          // r[1].integer() == 2
//   auto tx = redis.transaction();
//   tx.add("INCR", "n").add("GET", "n");
//   Reply results = tx.execute();                // EXEC's array
//
// Fiber contract: build anywhere; execute() may suspend, runs in a fiber of
// the client's scheduler, and throws like Client::command (plus ReplyError
// for an aborted transaction). WATCH is not supported (it would need a
// connection of its own).
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <spindle/redis_client.hpp>

namespace spindle::redis {

class Pipeline {
 public:
  template <class... Args>
  Pipeline& add(const Args&... args) {
    static_assert(sizeof...(Args) > 0, "a redis command needs a name");
    detail::WithArgv([this](std::span<const std::string_view> argv) {
      add_argv(argv);
      return 0;
    }, args...);
    return *this;
  }
  Pipeline& add_argv(std::span<const std::string_view> argv);
  size_t size() const noexcept { return ends_.size(); }

  // May suspend. One reply per command, in order (error replies included,
  // as Reply::kError). Empties the pipeline.
  std::vector<Reply> execute();

 private:
  friend class Client;
  friend class Transaction;
  explicit Pipeline(Client client) : client_(std::move(client)) {}

  Client client_;
  std::string buffer_;        // the formatted commands, back to back
  std::vector<size_t> ends_;  // end offset of each command in buffer_
};

class Transaction {
 public:
  template <class... Args>
  Transaction& add(const Args&... args) {
    pipeline_.add(args...);
    return *this;
  }
  Transaction& add_argv(std::span<const std::string_view> argv) {
    pipeline_.add_argv(argv);
    return *this;
  }
  size_t size() const noexcept { return pipeline_.size(); }

  // May suspend. EXEC's reply: an array with one reply per command. Throws
  // ReplyError when Redis refused to queue a command (EXECABORT). Empties
  // the transaction.
  Reply execute();

 private:
  friend class Client;
  explicit Transaction(Client client) : pipeline_(std::move(client)) {}
  Pipeline pipeline_;
};

}  // namespace spindle::redis
