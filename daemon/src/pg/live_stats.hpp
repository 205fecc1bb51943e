// live_stats.hpp: the counters of every PostgreSQL client alive in this
// process, summed, for the metrics sampler (server/observe_hooks.cpp:
// spindle_pg_*). Declared apart so the sampler needs nothing else of the
// client's internals; defined with the client core (pg/client_core.cpp).
//
// Call it from the thread that runs those clients' scheduler (the worker's
// sampler fiber); it does not suspend. Counters of destroyed clients drop
// out of the sum.
#pragma once

#include <spindle/pg_stats.hpp>

namespace spindle::pg::impl {

// queries, errors, timeouts, reconnects, pool_waits and connections_open,
// each summed over every live client.
Stats LiveClientsStats();

}  // namespace spindle::pg::impl
