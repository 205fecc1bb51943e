// The Redis client for fibers: include this one header.
// See redis_client.hpp (Client), redis_pipeline.hpp (Pipeline, Transaction),
// redis_pubsub.hpp (Subscription), redis_reply.hpp, redis_errors.hpp,
// redis_config.hpp and redis_stats.hpp, and docs/redis.md.
#pragma once

#include <spindle/redis_client.hpp>
#include <spindle/redis_config.hpp>
#include <spindle/redis_errors.hpp>
#include <spindle/redis_pipeline.hpp>
#include <spindle/redis_pubsub.hpp>
#include <spindle/redis_reply.hpp>
#include <spindle/redis_stats.hpp>
