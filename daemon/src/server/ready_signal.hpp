// ready_signal.hpp: how a worker tells the master "I am accepting". The
// master creates a pipe for each worker it forks; the child keeps the write
// end (SetReadyFd, before RunWorker) and writes one byte once its apps are
// initialised and its accept fiber is spawned (NotifyReady). The master
// starts a reload's draining, and sends READY=1 to systemd, only once every
// worker of the new generation has said so. EOF without the byte means the
// worker died while starting.
//
// Process contract: both calls are for the worker process, on its one
// thread; NotifyReady never suspends and only acts once.
#pragma once

namespace spindle::server {

void SetReadyFd(int fd);
void NotifyReady();

}  // namespace spindle::server
