// http_response.hpp: finds where one HTTP/1.1 response ends in a byte
// buffer, for the load generators under bench/load (counting_load,
// longpoll_hold). Enough of HTTP for the peers under test, not a general
// client: Content-Length and chunked bodies, no trailers.
#pragma once

#include <string>

namespace bench {

// Parses one complete response at the front of `in`: returns its length, 0
// when more bytes are needed, -1 when it is malformed. A response without
// Content-Length or chunked encoding is malformed here (every peer under
// test sends one or the other on a keep-alive connection), except 204/304.
// *status: its status code. *close: the server announced it closes the
// connection after this response (HTTP/1.0, or Connection: close).
long ParseResponse(const std::string& in, int* status, bool* close);

}  // namespace bench
