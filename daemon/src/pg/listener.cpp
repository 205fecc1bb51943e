// Listener (see listener.hpp).
#include "pg/listener.hpp"

#include <algorithm>

#include <libpq-fe.h>
#include <spdlog/spdlog.h>

#include <spindle/pg_errors.hpp>

#include "engine/backoff.hpp"
#include "pg/query.hpp"

namespace spindle::pg::impl {

std::string QuoteIdentifier(std::string_view name) {
  std::string out = "\"";
  for (char c : name) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
  return out;
}

Listener::Listener(Shared& shared) : shared_(shared), rng_(std::random_device{}()) {}

Listener::~Listener() = default;

bool Listener::SendDetached(const std::string& verb, const std::string& channel) {
  if (conn_ == nullptr || !conn_->usable()) return false;
  auto* op = new PendingQuery(false, verb + " " + QuoteIdentifier(channel), nullptr, 0);
  if (!conn_->Send(op, true)) {
    delete op;
    return false;
  }
  op->Detach();
  return true;
}

void Listener::Deliver(pg_conn* pg) {
  while (PGnotify* n = PQnotifies(pg)) {
    auto it = channels_.find(std::string_view(n->relname));
    if (it != channels_.end()) {
      for (SubscriptionState* s : it->second.subs) {
        Notification note{n->relname, n->extra != nullptr ? n->extra : "", n->be_pid};
        if (s->channel.try_push(std::move(note)) == ChannelStatus::kSuccess) {
          ++shared_.stats.notifications;
        } else {
          ++s->dropped;
          ++shared_.stats.notifications_dropped;
        }
      }
    }
    PQfreemem(n);
  }
}

void Listener::SlotLoop() {
  int attempt = 0;
  bool ever_ready = false;
  while (!shared_.closing) {
    state_ = State::kConnecting;
    Connection conn(shared_, &room_, "listen");
    conn.on_input = [this](pg_conn* pg) { Deliver(pg); };
    conn_ = &conn;
    if (conn.Open(Deadline::after(shared_.config.connect_timeout))) {
      ++shared_.stats.connects;
      if (ever_ready || attempt > 0) ++shared_.stats.reconnects;
      ever_ready = true;
      attempt = 0;
      state_ = State::kReady;
      // Listen again to everything wanted (a fresh server session).
      for (auto& [name, entry] : channels_) entry.confirmed = SendDetached("LISTEN", name);
      changed_.notify_all();
      conn.Run();
      if (!shared_.closing) {
        ++shared_.stats.connections_lost;
        spdlog::warn("postgres listener connection to '{}' lost: {}", shared_.name(),
                     conn.error());
      }
    } else if (!shared_.closing) {
      ++shared_.stats.connect_failures;
      last_error_ = conn.error();
      ++attempt;
    }
    conn_ = nullptr;
    for (auto& [name, entry] : channels_) entry.confirmed = false;
    if (shared_.closing) break;
    state_ = State::kBackoff;
    changed_.notify_all();
    (void)wake_.wait_until(
        Deadline::after(engine::BackoffDelay(shared_.config, attempt, rng_)), false);
  }
  state_ = State::kClosed;
  --shared_.background_fibers;
  changed_.notify_all();
}

std::shared_ptr<SubscriptionState> Listener::Listen(std::string channel, Deadline deadline) {
  if (channel.empty()) throw std::invalid_argument("postgres listen: empty channel name");
  if (shared_.closing) {
    throw Unavailable(shared_.name(), "postgres client for '" + shared_.name() + "' is closed");
  }
  if (state_ == State::kIdle) {
    state_ = State::kConnecting;
    ++shared_.background_fibers;
    fiber_ = spawn([this] { SlotLoop(); }, "pg-listen");
  }
  while (state_ != State::kReady || conn_ == nullptr || !conn_->usable()) {
    if (state_ == State::kBackoff || state_ == State::kClosed) {
      throw Unavailable(shared_.name(), "postgres '" + shared_.name() +
                                            "': listener connection is down: " + last_error_);
    }
    const WaitStatus st = changed_.wait_until(deadline);
    if (st == WaitStatus::kCancelled) throw Cancelled();
    if (st == WaitStatus::kTimeout) {
      throw Timeout(shared_.name(),
                    "postgres '" + shared_.name() + "': listener did not connect in time");
    }
  }
  auto state = std::make_shared<SubscriptionState>(shared_.config.notification_capacity);
  state->name = channel;
  Entry& entry = channels_[channel];
  entry.subs.push_back(state.get());
  state->owner = this;
  states_.push_back(state.get());
  ++live_;
  if (!entry.confirmed) {
    struct Undo {
      Listener* l;
      SubscriptionState* s;
      bool armed = true;
      ~Undo() {
        if (armed) l->Unlisten(s);
      }
    } undo{this, state.get()};
    const Clock::time_point started = Clock::now();
    auto* op = new PendingQuery(false, "LISTEN " + QuoteIdentifier(channel), nullptr, 0);
    if (!conn_->Send(op, true)) {
      delete op;
      throw Unavailable(shared_.name(), "postgres '" + shared_.name() + "': listener is closing");
    }
    (void)op->Await(shared_, deadline, started, op->key());
    undo.armed = false;
    auto it = channels_.find(channel);
    if (it != channels_.end()) it->second.confirmed = true;
  }
  return state;
}

void Listener::Unlisten(SubscriptionState* state) noexcept {
  if (state->owner != this) return;
  state->owner = nullptr;
  state->channel.close();
  states_.erase(std::remove(states_.begin(), states_.end(), state), states_.end());
  --live_;
  auto it = channels_.find(state->name);
  if (it == channels_.end()) return;
  auto& subs = it->second.subs;
  subs.erase(std::remove(subs.begin(), subs.end(), state), subs.end());
  if (subs.empty()) {
    channels_.erase(it);
    try {
      (void)SendDetached("UNLISTEN", state->name);
    } catch (...) {
    }
  }
}

void Listener::Close() {
  for (SubscriptionState* s : std::vector<SubscriptionState*>(states_)) Unlisten(s);
  if (conn_ != nullptr) conn_->Discard("client closed");
  wake_.notify_all();
  changed_.notify_all();
  if (fiber_.joinable()) fiber_.join();
}

}  // namespace spindle::pg::impl
