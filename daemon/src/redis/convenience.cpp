// The convenience calls of Client (get, set, hget, ...): each is one command
// whose reply is checked and unpacked; an error reply throws ReplyError
// naming the address. Fiber contract as Client::command (may suspend).
#include <spindle/redis_client.hpp>

namespace spindle::redis {
namespace {

const Reply& Check(const Client& c, const Reply& r) {
  if (r.is_error()) {
    throw ReplyError(c.config().address, "redis '" + c.config().address + "': " + r.str());
  }
  return r;
}

std::optional<std::string> OptionalString(const Client& c, Reply r) {
  Check(c, r);
  if (r.is_nil()) return std::nullopt;
  return r.take_str();
}

long long Integer(const Client& c, const Reply& r) { return Check(c, r).integer(); }

std::vector<std::string> Strings(const Client& c, Reply r) {
  Check(c, r);
  std::vector<std::string> out;
  out.reserve(r.array().size());
  for (auto& e : r.array()) out.push_back(e.is_nil() ? std::string() : e.take_str());
  return out;
}

std::vector<std::string_view> KeysArgv(std::string_view verb, const std::vector<std::string>& keys) {
  std::vector<std::string_view> argv;
  argv.reserve(keys.size() + 1);
  argv.push_back(verb);
  for (const auto& k : keys) argv.push_back(k);
  return argv;
}

}  // namespace

std::optional<std::string> Client::get(std::string_view key) const {
  return OptionalString(*this, command("GET", key));
}

void Client::set(std::string_view key, std::string_view value) const {
  Check(*this, command("SET", key, value));
}

void Client::set(std::string_view key, std::string_view value,
                 std::chrono::milliseconds ttl) const {
  Check(*this, command("SET", key, value, "PX", ttl.count()));
}

bool Client::set_nx(std::string_view key, std::string_view value,
                    std::chrono::milliseconds ttl) const {
  Reply r = ttl.count() > 0 ? command("SET", key, value, "NX", "PX", ttl.count())
                            : command("SET", key, value, "NX");
  return !Check(*this, r).is_nil();
}

long long Client::del(std::string_view key) const { return Integer(*this, command("DEL", key)); }

long long Client::del(const std::vector<std::string>& keys) const {
  if (keys.empty()) return 0;
  return Integer(*this, command_argv(KeysArgv("DEL", keys)));
}

bool Client::exists(std::string_view key) const {
  return Integer(*this, command("EXISTS", key)) > 0;
}

long long Client::incr(std::string_view key) const { return Integer(*this, command("INCR", key)); }

long long Client::incrby(std::string_view key, long long by) const {
  return Integer(*this, command("INCRBY", key, by));
}

bool Client::expire(std::string_view key, std::chrono::seconds ttl) const {
  return Integer(*this, command("EXPIRE", key, ttl.count())) == 1;
}

long long Client::ttl(std::string_view key) const { return Integer(*this, command("TTL", key)); }

std::vector<std::optional<std::string>> Client::mget(const std::vector<std::string>& keys) const {
  std::vector<std::optional<std::string>> out;
  if (keys.empty()) return out;
  Reply r = command_argv(KeysArgv("MGET", keys));
  Check(*this, r);
  for (auto& e : r.array()) {
    if (e.is_nil()) {
      out.emplace_back(std::nullopt);
    } else {
      out.emplace_back(e.take_str());
    }
  }
  return out;
}

std::optional<std::string> Client::hget(std::string_view key, std::string_view field) const {
  return OptionalString(*this, command("HGET", key, field));
}

bool Client::hset(std::string_view key, std::string_view field, std::string_view value) const {
  return Integer(*this, command("HSET", key, field, value)) == 1;
}

long long Client::hdel(std::string_view key, std::string_view field) const {
  return Integer(*this, command("HDEL", key, field));
}

std::vector<std::pair<std::string, std::string>> Client::hgetall(std::string_view key) const {
  std::vector<std::string> flat = Strings(*this, command("HGETALL", key));
  std::vector<std::pair<std::string, std::string>> out;
  out.reserve(flat.size() / 2);
  for (size_t i = 0; i + 1 < flat.size(); i += 2) {
    out.emplace_back(std::move(flat[i]), std::move(flat[i + 1]));
  }
  return out;
}

long long Client::lpush(std::string_view key, std::string_view value) const {
  return Integer(*this, command("LPUSH", key, value));
}

long long Client::rpush(std::string_view key, std::string_view value) const {
  return Integer(*this, command("RPUSH", key, value));
}

std::optional<std::string> Client::lpop(std::string_view key) const {
  return OptionalString(*this, command("LPOP", key));
}

std::vector<std::string> Client::lrange(std::string_view key, long long start,
                                        long long stop) const {
  return Strings(*this, command("LRANGE", key, start, stop));
}

long long Client::publish(std::string_view channel, std::string_view message) const {
  return Integer(*this, command("PUBLISH", channel, message));
}

}  // namespace spindle::redis
