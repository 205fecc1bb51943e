// ClientCore (see client_core.hpp).
#include "redis/client_core.hpp"
#include "engine/fiber_deadline.hpp"

#include <algorithm>
#include <cstdlib>
#include <mutex>
#include <stdexcept>
#include <vector>

#include <hiredis/hiredis.h>
#include <spdlog/spdlog.h>

#include <spindle/fiber.hpp>
#include <spindle/redis_errors.hpp>

#include "engine/client_binding.hpp"
#include "redis/pending_op.hpp"

namespace spindle::redis::impl {
namespace {

constexpr char kMulti[] = "*1\r\n$5\r\nMULTI\r\n";
constexpr char kExec[] = "*1\r\n$4\r\nEXEC\r\n";

}  // namespace

Stats LiveClientsStats() {
  Stats sum;
  engine::LiveRegistry<ClientCore>::Instance().ForEach([&](const ClientCore& c) {
    Stats s = c.GetStats();
    sum.commands += s.commands;
    sum.errors += s.errors;
    sum.timeouts += s.timeouts;
    sum.reconnects += s.reconnects;
    sum.pool_waits += s.pool_waits;
    sum.connections_open += s.connections_open;
  });
  return sum;
}

ClientCore::ClientCore(Config config) : shared_((config.Validate(), std::move(config))) {
  engine::LiveRegistry<ClientCore>::Instance().Add(this);
}

ClientCore::~ClientCore() {
  engine::LiveRegistry<ClientCore>::Instance().Remove(this);
  if (closed_ || (!pool_ && !subscriber_)) return;
  if (Scheduler::current() == scheduler_) {
    try {
      Close();
      return;
    } catch (...) {
    }
  }
  // Its fibers still point at us: leaking beats a use-after-free.
  spdlog::error("redis client for '{}' destroyed outside its scheduler without close(); "
                "its connections are leaked", shared_.address);
  (void)pool_.release();
  (void)subscriber_.release();
}

void ClientCore::Bind() {
  if (engine::BindToCurrent(scheduler_, "redis client")) engine::IgnoreSigpipeOnce();
}

Pool& ClientCore::pool() {
  Bind();
  if (!pool_) {
    if (closed_) {
      throw Unavailable(shared_.address, "redis client for '" + shared_.address + "' is closed");
    }
    pool_ = std::make_unique<Pool>(shared_);
    pool_->Start();
  }
  return *pool_;
}

Subscriber& ClientCore::subscriber() {
  Bind();
  if (!subscriber_) subscriber_ = std::make_unique<Subscriber>(shared_);
  return *subscriber_;
}

Deadline ClientCore::CallDeadline(Deadline cap) {
  // A request handler's calls are capped by its request's deadline too.
  const Deadline d = engine::CappedDeadline(cap, shared_.config.command_timeout);
  if (d.passed()) {
    ++shared_.stats.errors;
    ++shared_.stats.timeouts;
    throw Timeout(shared_.address,
                  "redis '" + shared_.address + "': deadline passed before the call was sent");
  }
  return d;
}

Reply ClientCore::Command(std::span<const std::string_view> argv, Deadline cap) {
  if (argv.empty()) throw std::invalid_argument("redis command: empty argv");
  ++shared_.stats.calls;
  const Clock::time_point started = Clock::now();
  const Deadline deadline = CallDeadline(cap);
  if (this_fiber::is_cancelled()) throw Cancelled();

  constexpr size_t kInline = 16;
  const char* argv_inline[kInline];
  size_t lens_inline[kInline];
  std::vector<const char*> argv_heap;
  std::vector<size_t> lens_heap;
  const char** args = argv_inline;
  size_t* lens = lens_inline;
  if (argv.size() > kInline) {
    argv_heap.resize(argv.size());
    lens_heap.resize(argv.size());
    args = argv_heap.data();
    lens = lens_heap.data();
  }
  for (size_t i = 0; i < argv.size(); ++i) {
    args[i] = argv[i].data();
    lens[i] = argv[i].size();
  }
  Connection* conn = pool().Acquire(deadline);

  char* cmd = nullptr;
  const int len = redisFormatCommandArgv(&cmd, static_cast<int>(argv.size()), args, lens);
  if (len < 0) throw std::bad_alloc();
  auto* op = new PendingOp(1);
  op->set_connection(conn);
  const bool sent = conn->Send(cmd, static_cast<size_t>(len), &PendingOp::OnReply, op, true);
  redisFreeCommand(cmd);
  if (!sent) {
    delete op;
    ++shared_.stats.errors;
    throw Unavailable(shared_.address, "redis '" + shared_.address + "': connection is closing");
  }
  ++shared_.stats.commands;
  auto replies = op->Await(shared_, deadline, started, argv[0]);
  return std::move(replies.front());
}

std::vector<Reply> ClientCore::Batch(const std::string& buffer, const std::vector<size_t>& ends,
                                     bool transaction, Deadline cap) {
  if (ends.empty()) return {};
  ++shared_.stats.calls;
  const Clock::time_point started = Clock::now();
  const Deadline deadline = CallDeadline(cap);
  if (this_fiber::is_cancelled()) throw Cancelled();
  Connection* conn = pool().Acquire(deadline);

  const size_t total = ends.size() + (transaction ? 2 : 0);
  auto* op = new PendingOp(total);
  op->set_connection(conn);
  size_t queued = 0;
  bool failed = false;
  auto send = [&](const char* p, size_t n) {
    if (failed) return;
    if (conn->Send(p, n, &PendingOp::OnReply, op, true)) {
      ++queued;
    } else {
      failed = true;
    }
  };
  if (transaction) send(kMulti, sizeof(kMulti) - 1);
  size_t begin = 0;
  for (size_t end : ends) {
    send(buffer.data() + begin, end - begin);
    begin = end;
  }
  if (transaction) send(kExec, sizeof(kExec) - 1);
  if (failed) {
    if (queued == 0) {
      delete op;
      ++shared_.stats.errors;
      throw Unavailable(shared_.address, "redis '" + shared_.address + "': connection is closing");
    }
    // Part of the batch is queued: drop the connection so that part fails
    // too (a half-sent MULTI must never be followed by other fibers'
    // commands); Await then collects its NULL replies.
    op->Shrink(queued);
    conn->Discard("a batch could not be queued whole");
  }
  shared_.stats.commands += total;
  std::string what = transaction ? "transaction of " : "pipeline of ";
  what += std::to_string(ends.size());
  return op->Await(shared_, deadline, started, what);
}

Stats ClientCore::GetStats() const {
  Stats s = shared_.stats;
  s.connections_open = shared_.connections_open;
  s.connections_ready = pool_ ? pool_->ready_connections() : 0;
  s.in_flight = pool_ ? pool_->in_flight() : 0;
  s.subscriptions = subscriber_ ? subscriber_->subscriptions() : 0;
  s.background_fibers = shared_.background_fibers;
  return s;
}

void ClientCore::Close() {
  if (closed_) return;
  if ((pool_ || subscriber_) && Scheduler::current() != scheduler_) {
    throw std::logic_error("redis client closed from another scheduler than its own");
  }
  closed_ = true;
  shared_.closing = true;
  if (subscriber_) subscriber_->Close();
  if (pool_) pool_->Close();
}

}  // namespace spindle::redis::impl
