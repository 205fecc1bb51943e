// Copies a hiredis reply tree into an owned spindle::redis::Reply. Called
// inside hiredis reply callbacks (hiredis frees its reply afterwards).
// No thread or fiber contract; never throws except std::bad_alloc.
#pragma once

#include <spindle/redis_reply.hpp>

struct redisReply;

namespace spindle::redis::impl {

Reply ConvertReply(const redisReply* reply);

}  // namespace spindle::redis::impl
