// accept_loop.hpp: serving one listening socket: the accept fiber's loop,
// which starts a Connection (and its reader fiber) per accepted socket, and
// what a stop does with the sockets still in the backlog. The worker runs
// one for the apps' socket and, with `admin:`, one for the admin socket.
//
// Fiber contract: every function runs in a fiber of the worker's scheduler
// thread, on the WorkerContext of that socket.
#pragma once

#include "server/worker_context.hpp"

namespace spindle::server {

// Accepts greedily until cancelled or ctx.draining; each connection runs in
// its own reader fiber. Pauses while ctx.max_connections are open.
void AcceptLoop(WorkerContext& ctx, int listen_fd);
// On a stop: takes and serves the connections already in the backlog.
void AcceptRemaining(WorkerContext& ctx, int listen_fd);
// Cancels every open connection's reader (a request in progress is
// cancelled) and waits until they are closed or `give_up` passes.
void CloseConnections(WorkerContext& ctx, Deadline give_up);

}  // namespace spindle::server
