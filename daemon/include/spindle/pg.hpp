// The PostgreSQL client for fibers: one include for apps.
// See pg_client.hpp (Client, Transaction), pg_result.hpp (typed rows),
// pg_params.hpp (parameters), pg_listen.hpp (LISTEN/NOTIFY), pg_errors.hpp,
// pg_config.hpp, pg_stats.hpp, and docs/postgres.md.
#pragma once

#include <spindle/pg_client.hpp>
#include <spindle/pg_config.hpp>
#include <spindle/pg_errors.hpp>
#include <spindle/pg_listen.hpp>
#include <spindle/pg_params.hpp>
#include <spindle/pg_result.hpp>
#include <spindle/pg_stats.hpp>
#include <spindle/pg_types.hpp>
