// What the clients of outside servers (Redis, PostgreSQL) share about their
// place in the process: the scheduler a client is bound to (the first one
// that uses it; any other is a std::logic_error), SIGPIPE ignored once a
// client exists (a peer that went away must never kill a worker), and the
// registry of live clients the metrics sampler sums.
//
// Thread contract: BindToCurrent runs on a scheduler thread; LiveRegistry
// is locked (clients are created and destroyed on any thread: an app's init,
// a worker); IgnoreSigpipeOnce is called from scheduler threads.
#pragma once

#include <signal.h>

#include <algorithm>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

#include <spindle/scheduler.hpp>

namespace spindle::engine {

// Binds *bound to the running scheduler on first use; throws
// std::logic_error naming `what` ("redis client") outside a scheduler or on
// another one. True when it bound just now.
inline bool BindToCurrent(Scheduler*& bound, const char* what) {
  Scheduler* s = Scheduler::current();
  if (s == nullptr) throw std::logic_error(std::string(what) + " used outside a fiber scheduler");
  if (bound == nullptr) {
    bound = s;
    return true;
  }
  if (bound != s) {
    throw std::logic_error(std::string(what) +
                           " used from another scheduler than the one it is bound to");
  }
  return false;
}

// Ignores SIGPIPE unless the process installed its own handler.
inline void IgnoreSigpipeOnce() {
  static bool done = false;
  if (done) return;
  done = true;
  struct sigaction current {};
  if (::sigaction(SIGPIPE, nullptr, &current) == 0 && current.sa_handler == SIG_DFL) {
    ::signal(SIGPIPE, SIG_IGN);
  }
}

// Every live client of one kind. Never destroyed (Instance() leaks it), so a
// client in an app's static storage may outlive exit().
template <class Client>
class LiveRegistry {
 public:
  static LiveRegistry& Instance() {
    static LiveRegistry* r = new LiveRegistry;
    return *r;
  }
  void Add(const Client* c) {
    std::lock_guard lock(mutex_);
    list_.push_back(c);
  }
  void Remove(const Client* c) {
    std::lock_guard lock(mutex_);
    list_.erase(std::find(list_.begin(), list_.end(), c));
  }
  // Calls fn(const Client&) for each, under the lock.
  template <class Fn>
  void ForEach(Fn&& fn) {
    std::lock_guard lock(mutex_);
    for (const Client* c : list_) fn(*c);
  }

 private:
  std::mutex mutex_;
  std::vector<const Client*> list_;
};

}  // namespace spindle::engine
