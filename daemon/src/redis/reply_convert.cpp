// ConvertReply: hiredis redisReply -> Reply (see reply_convert.hpp).
#include "redis/reply_convert.hpp"

#include <hiredis/hiredis.h>

namespace spindle::redis::impl {

Reply ConvertReply(const redisReply* r) {
  switch (r->type) {
    case REDIS_REPLY_STRING: return Reply::String(std::string(r->str, r->len));
    case REDIS_REPLY_STATUS: return Reply::Status(std::string(r->str, r->len));
    case REDIS_REPLY_ERROR: return Reply::Error(std::string(r->str, r->len));
    case REDIS_REPLY_INTEGER: return Reply::Integer(r->integer);
    case REDIS_REPLY_ARRAY: {
      std::vector<Reply> elements;
      elements.reserve(r->elements);
      for (size_t i = 0; i < r->elements; ++i) elements.push_back(ConvertReply(r->element[i]));
      return Reply::Array(std::move(elements));
    }
    default: return Reply::Nil();
  }
}

}  // namespace spindle::redis::impl
