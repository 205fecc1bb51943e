// room_store.cpp: the chat's Redis keys and the post script (see
// room_store.hpp).
#include "room_store.hpp"

#include <chrono>

namespace chat {
namespace {

// KEYS: id counter, message list, channel. ARGV: the message JSON without
// its opening brace (the script puts the id first), the list cap.
constexpr const char* kPostScript = R"lua(
local id = redis.call('INCR', KEYS[1])
local msg = '{"id":' .. id .. ',' .. ARGV[1]
redis.call('RPUSH', KEYS[2], msg)
redis.call('LTRIM', KEYS[2], -tonumber(ARGV[2]), -1)
redis.call('PUBLISH', KEYS[3], msg)
return msg
)lua";

}  // namespace

bool RoomStore::ValidRoom(std::string_view room) {
  if (room.empty() || room.size() > 64) return false;
  for (char c : room) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

std::string RoomStore::Channel(std::string_view room) const {
  return prefix_ + std::string(room) + ":channel";
}

nlohmann::json RoomStore::Post(std::string_view room, const std::string& user,
                               const std::string& text) {
  long long now = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::system_clock::now().time_since_epoch()).count();
  std::string body = nlohmann::json{{"user", user}, {"text", text}, {"time", now}}.dump();
  std::string base = prefix_ + std::string(room);
  spindle::redis::Reply r = redis_.command("EVAL", kPostScript, 3, base + ":next_id",
                                           base + ":messages", Channel(room),
                                           std::string_view(body).substr(1), max_messages_);
  if (r.is_error()) throw spindle::redis::ReplyError(redis_.config().address, r.str());
  return nlohmann::json::parse(r.str());
}

nlohmann::json RoomStore::Since(std::string_view room, long long since) {
  nlohmann::json out = nlohmann::json::array();
  for (const std::string& item : redis_.lrange(prefix_ + std::string(room) + ":messages", 0, -1)) {
    nlohmann::json m = nlohmann::json::parse(item, nullptr, false);
    if (MessageId(m) > since) out.push_back(std::move(m));
  }
  return out;
}

spindle::redis::Subscription RoomStore::Subscribe(std::string_view room) {
  return redis_.subscribe({Channel(room)});
}

long long MessageId(const nlohmann::json& message) {
  if (!message.is_object()) return 0;
  auto it = message.find("id");
  return it != message.end() && it->is_number_integer() ? it->get<long long>() : 0;
}

}  // namespace chat
