// Subscriber (see subscriber.hpp).
#include "redis/subscriber.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstring>

#include <hiredis/async.h>
#include <hiredis/hiredis.h>
#include <spdlog/spdlog.h>

#include <spindle/redis_errors.hpp>

#include "engine/backoff.hpp"

namespace spindle::redis::impl {
namespace {

std::string Str(const redisReply* r) {
  return r->type == REDIS_REPLY_STRING ? std::string(r->str, r->len) : std::string();
}

}  // namespace

Subscriber::Subscriber(Shared& shared) : shared_(shared), rng_(std::random_device{}()) {
  anchor_ = "__spindle:anchor:" + std::to_string(::getpid()) + ":" +
            std::to_string(reinterpret_cast<uintptr_t>(this));
}

Subscriber::~Subscriber() = default;

std::shared_ptr<SubscriptionState> Subscriber::Subscribe(std::vector<std::string> names,
                                                         bool pattern, Deadline deadline) {
  if (shared_.closing) {
    ++shared_.stats.errors;
    throw Unavailable(shared_.address, "redis client for '" + shared_.address + "' is closed");
  }
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  if (names.empty()) throw std::invalid_argument("redis subscribe: no channel given");
  if (state_ == State::kIdle) {
    state_ = State::kConnecting;
    ++shared_.background_fibers;
    fiber_ = spawn([this] { SlotLoop(); }, "redis-subscriber");
  }

  auto st = std::make_shared<SubscriptionState>(shared_.config.subscription_capacity);
  st->names = names;
  st->pattern = pattern;
  st->owner = this;
  states_.push_back(st.get());
  ++live_;
  std::vector<std::string> to_send;
  for (const auto& n : names) {
    Entry& e = map(pattern)[n];
    e.subs.push_back(st.get());
    if (++e.refs == 1) {
      e.confirmed = false;
      to_send.push_back(n);
    }
  }
  if (conn_ != nullptr && conn_->usable() && !to_send.empty()) {
    SendCommand(pattern ? "PSUBSCRIBE" : "SUBSCRIBE", to_send, true);
  }

  for (;;) {
    bool all = true;
    for (const auto& n : names) {
      auto it = map(pattern).find(n);
      all = all && it != map(pattern).end() && it->second.confirmed;
    }
    if (all) return st;
    if (state_ == State::kBackoff || state_ == State::kClosed || shared_.closing) {
      Unsubscribe(st.get());
      ++shared_.stats.errors;
      throw Unavailable(shared_.address,
                        "redis '" + shared_.address + "' is unavailable: " + last_error_);
    }
    const WaitStatus w = changed_.wait_until(deadline);
    if (w == WaitStatus::kOk) continue;
    Unsubscribe(st.get());
    ++shared_.stats.errors;
    if (w == WaitStatus::kCancelled) throw Cancelled();
    ++shared_.stats.timeouts;
    if (conn_ != nullptr && !conn_->discarded()) {
      ++shared_.stats.discarded;
      conn_->Discard("a subscribe timed out");
    }
    throw Timeout(shared_.address, "redis '" + shared_.address + "': subscribe timed out");
  }
}

void Subscriber::Unsubscribe(SubscriptionState* state) noexcept {
  if (state->owner != this) return;
  state->owner = nullptr;
  state->channel.close();
  states_.erase(std::remove(states_.begin(), states_.end(), state), states_.end());
  --live_;
  Map& m = map(state->pattern);
  std::vector<std::string> to_send;
  for (const auto& n : state->names) {
    auto it = m.find(n);
    if (it == m.end()) continue;
    Entry& e = it->second;
    auto pos = std::find(e.subs.begin(), e.subs.end(), state);
    if (pos != e.subs.end()) e.subs.erase(pos);
    if (--e.refs > 0) continue;
    // Kept (refs 0) until Redis confirms, so that a quick re-subscribe and
    // the unsubscribe reply cannot be confused; erased at once when down.
    if (conn_ != nullptr && conn_->usable()) {
      to_send.push_back(n);
    } else {
      m.erase(it);
    }
  }
  if (!to_send.empty() &&
      !SendCommand(state->pattern ? "PUNSUBSCRIBE" : "UNSUBSCRIBE", to_send, false)) {
    for (const auto& n : to_send) m.erase(n);
  }
}

bool Subscriber::SendCommand(const char* verb, const std::vector<std::string>& names,
                             bool with_callback) {
  if (conn_ == nullptr) return false;
  std::vector<const char*> argv;
  std::vector<size_t> lens;
  argv.push_back(verb);
  lens.push_back(std::strlen(verb));
  for (const auto& n : names) {
    argv.push_back(n.data());
    lens.push_back(n.size());
  }
  char* cmd = nullptr;
  const int len = redisFormatCommandArgv(&cmd, static_cast<int>(argv.size()), argv.data(),
                                         lens.data());
  if (len < 0) return false;
  const bool ok = conn_->Send(cmd, static_cast<size_t>(len), with_callback ? &OnPubSub : nullptr,
                              with_callback ? this : nullptr, false);
  redisFreeCommand(cmd);
  return ok;
}

void Subscriber::OnPubSub(redisAsyncContext*, void* reply, void* privdata) noexcept {
  if (reply == nullptr) return;  // teardown: the slot fiber resets the state
  try {
    static_cast<Subscriber*>(privdata)->HandleReply(static_cast<const redisReply*>(reply));
  } catch (...) {  // never let an exception cross hiredis
  }
}

void Subscriber::HandleReply(const redisReply* r) {
  if (r->type != REDIS_REPLY_ARRAY || r->elements < 3) return;
  const std::string kind = Str(r->element[0]);
  if (kind == "message") {
    auto it = channels_.find(Str(r->element[1]));
    if (it != channels_.end()) Deliver(it->second, {}, Str(r->element[1]), Str(r->element[2]));
  } else if (kind == "pmessage" && r->elements >= 4) {
    auto it = patterns_.find(Str(r->element[1]));
    if (it != patterns_.end()) {
      Deliver(it->second, Str(r->element[1]), Str(r->element[2]), Str(r->element[3]));
    }
  } else if (kind == "subscribe" || kind == "psubscribe") {
    Map& m = map(kind[0] == 'p');
    auto it = m.find(Str(r->element[1]));
    if (it != m.end()) {
      it->second.confirmed = true;
      changed_.notify_all();
    }
  } else if (kind == "unsubscribe" || kind == "punsubscribe") {
    Map& m = map(kind[0] == 'p');
    auto it = m.find(Str(r->element[1]));
    if (it != m.end() && it->second.refs == 0) m.erase(it);
  }
}

void Subscriber::Deliver(Entry& e, const std::string& pattern, const std::string& channel,
                         const std::string& payload) {
  for (SubscriptionState* s : e.subs) {
    if (s->channel.try_push(Message{channel, payload, pattern}) == ChannelStatus::kSuccess) {
      ++shared_.stats.pubsub_messages;
    } else {
      ++s->dropped;
      ++shared_.stats.pubsub_dropped;
    }
  }
}

void Subscriber::ResubscribeAll() {
  for (bool pattern : {false, true}) {
    std::vector<std::string> names;
    for (auto& [name, e] : map(pattern)) {
      if (e.refs > 0) names.push_back(name);
    }
    if (!names.empty()) SendCommand(pattern ? "PSUBSCRIBE" : "SUBSCRIBE", names, true);
  }
}

void Subscriber::SlotLoop() {
  int attempt = 0;
  bool ever_ready = false;
  bool lost_logged = false;
  while (!shared_.closing) {
    state_ = State::kConnecting;
    Connection conn(shared_, nullptr, "subscriber");
    conn_ = &conn;
    bool was_ready = false;
    if (conn.Open(Deadline::after(shared_.config.connect_timeout))) {
      was_ready = true;
      ++shared_.stats.connects;
      if (ever_ready || attempt > 0) ++shared_.stats.reconnects;
      if (lost_logged) spdlog::info("redis subscriber connection to '{}' restored", shared_.address);
      ever_ready = true;
      lost_logged = false;
      attempt = 0;
      state_ = State::kReady;
      SendCommand("SUBSCRIBE", {anchor_}, true);
      ResubscribeAll();
      changed_.notify_all();
      conn.Run();
      if (!shared_.closing && !conn.discarded()) {
        ++shared_.stats.connections_lost;
        spdlog::warn("redis subscriber connection to '{}' lost: {}", shared_.address, conn.error());
        lost_logged = true;
      }
    } else if (!shared_.closing) {
      ++shared_.stats.connect_failures;
      last_error_ = conn.error();
      if (!lost_logged) {
        spdlog::error("redis subscriber connect to '{}' failed: {}", shared_.address, conn.error());
        lost_logged = true;
      }
      ++attempt;
    }
    conn_ = nullptr;
    for (Map* m : {&channels_, &patterns_}) {
      for (auto it = m->begin(); it != m->end();) {
        if (it->second.refs == 0) {
          it = m->erase(it);
        } else {
          it->second.confirmed = false;
          ++it;
        }
      }
    }
    if (shared_.closing) break;
    if (was_ready && conn.discarded()) continue;
    state_ = State::kBackoff;
    changed_.notify_all();
    (void)wake_.wait_until(Deadline::after(engine::BackoffDelay(shared_.config, attempt, rng_)));
  }
  state_ = State::kClosed;
  --shared_.background_fibers;
  changed_.notify_all();
}

void Subscriber::Close() {
  for (SubscriptionState* s : states_) {
    s->owner = nullptr;
    s->channel.close();
  }
  states_.clear();
  live_ = 0;
  channels_.clear();
  patterns_.clear();
  if (conn_ != nullptr) conn_->Discard("client closed");
  wake_.notify_all();
  changed_.notify_all();
  if (fiber_.joinable()) fiber_.join();
}

}  // namespace spindle::redis::impl
