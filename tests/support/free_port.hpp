// free_port.hpp: asks the kernel for a free 127.0.0.1 TCP port (bind to port
// 0, read the port back, close). Whoever binds it a moment later may still
// lose a race with another test; the harnesses retry on EADDRINUSE.
//
// No thread or fiber contract: a plain blocking call for test threads.
#pragma once

#include <cstdint>

namespace spindle::test {

// Throws std::runtime_error when no port can be had.
uint16_t FreeTcpPort();

}  // namespace spindle::test
