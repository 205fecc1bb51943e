// room_store.hpp: the chat's Redis side. Each room has a message-id counter
// (INCR), a capped list of its latest messages as JSON (oldest first) and a
// Pub/Sub channel on which every new message is published. Posting runs one
// Lua script, so the id, the list order and the publish are atomic: a reader
// never sees message N+1 stored before message N.
//
// Fiber contract: every call may suspend (Redis) and runs in a request fiber
// of the worker that owns the Client; calls throw spindle::redis::Error when
// Redis is unavailable and spindle::Cancelled when the fiber is cancelled.
#pragma once

#include <spindle/redis.hpp>

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>

namespace chat {

class RoomStore {
 public:
  RoomStore(spindle::redis::Client redis, std::string key_prefix, long long max_messages)
      : redis_(std::move(redis)), prefix_(std::move(key_prefix)), max_messages_(max_messages) {}

  // Room names are 1..64 of [A-Za-z0-9_-] (they become Redis keys and URLs).
  static bool ValidRoom(std::string_view room);

  // Stores and publishes {id, user, text, time}; returns the stored message.
  nlohmann::json Post(std::string_view room, const std::string& user, const std::string& text);

  // The stored messages with an id greater than `since`, oldest first.
  nlohmann::json Since(std::string_view room, long long since);

  // Subscribes to the room's channel (do it before Since(), so no message
  // can fall between the two).
  spindle::redis::Subscription Subscribe(std::string_view room);

  // The channel a room's messages are published on.
  std::string Channel(std::string_view room) const;
  const std::string& address() const { return redis_.config().address; }

 private:
  spindle::redis::Client redis_;
  std::string prefix_;
  long long max_messages_;
};

// The message id of a stored/published message's JSON; 0 when unreadable.
long long MessageId(const nlohmann::json& message);

}  // namespace chat
