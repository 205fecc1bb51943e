// http1.hpp: the HTTP/1.1 client pieces the load generators under
// bench/load share (counting_load, longpoll_hold): the target URL, its
// address, where one response ends in a byte buffer, a header lookup, and
// exact percentiles.
// Enough of HTTP for the peers under test, not a general client:
// http://HOST:PORT/PATH only, Content-Length and chunked bodies, no trailers.
#pragma once

#include <netdb.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace bench {

struct Url {
  std::string host, port, path;
};

// http://HOST:PORT[/PATH]; false when `text` is not of that form.
bool ParseUrl(const std::string& text, Url& url);

// The address of `url` (freeaddrinfo it); on failure prints why, naming
// `tool`, and exits with status 2.
addrinfo* Resolve(const Url& url, const char* tool);

// After epoll reported `events` on a nonblocking connect to `fd`: true when
// the connect failed (SO_ERROR set, or EPOLLERR/EPOLLHUP).
bool ConnectFailed(int fd, uint32_t events);

// Appends what `fd` (nonblocking) has to read to `in`; false when the peer
// closed it or it failed (what arrived before is in `in`), true at EAGAIN.
bool ReadAvailable(int fd, std::string& in);

// The p-th percentile (0..100) of `sorted` (ascending), nearest rank; 0 when
// empty.
template <class T>
T Percentile(const std::vector<T>& sorted, double p) {
  if (sorted.empty()) return T{};
  auto i = static_cast<size_t>(p / 100.0 * static_cast<double>(sorted.size() - 1) + 0.5);
  return sorted[std::min(i, sorted.size() - 1)];
}

// True when the response head `head` (status line and headers, CRLF
// separated) has a header `name` (lower case) whose value contains `value`
// (lower case), both compared ignoring ASCII case.
bool HasHeader(std::string_view head, std::string_view name, std::string_view value);

// Parses one complete response at the front of `in`: returns its length, 0
// when more bytes are needed, -1 when it is malformed. A response without
// Content-Length or chunked encoding is malformed here (every peer under
// test sends one or the other on a keep-alive connection), except 204/304.
// *status: its status code. *close: the server announced it closes the
// connection after this response (HTTP/1.0, or Connection: close).
long ParseResponse(const std::string& in, int* status, bool* close);

}  // namespace bench
