// http1.cpp: see http1.hpp.
#include "http1.hpp"

#include <sys/epoll.h>
#include <sys/socket.h>

#include <cctype>
#include <cerrno>
#include <cstdio>
#include <charconv>
#include <cstdlib>
#include <string_view>
#include <system_error>

namespace bench {
namespace {

// ASCII case-insensitive: does `hay` contain `needle` (lower case)?
bool ContainsNoCase(std::string_view hay, std::string_view needle) {
  for (size_t i = 0; i + needle.size() <= hay.size(); ++i) {
    size_t k = 0;
    while (k < needle.size() &&
           std::tolower(static_cast<unsigned char>(hay[i + k])) == needle[k]) {
      ++k;
    }
    if (k == needle.size()) return true;
  }
  return false;
}

// True when `line` is the header `name` (lower case); *value is what follows
// the colon.
bool HeaderIs(std::string_view line, std::string_view name, std::string_view* value) {
  if (line.size() <= name.size() || line[name.size()] != ':') return false;
  for (size_t i = 0; i < name.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(line[i])) != name[i]) return false;
  }
  *value = line.substr(name.size() + 1);
  return true;
}

}  // namespace

bool HasHeader(std::string_view head, std::string_view name, std::string_view value) {
  for (size_t pos = head.find("\r\n"); pos != std::string_view::npos;) {
    const size_t next = head.find("\r\n", pos + 2);
    std::string_view line = head.substr(pos + 2, next == std::string_view::npos
                                                     ? std::string_view::npos
                                                     : next - pos - 2);
    std::string_view v;
    if (HeaderIs(line, name, &v) && ContainsNoCase(v, value)) return true;
    pos = next;
  }
  return false;
}

long ParseResponse(const std::string& in, int* status, bool* close) {
  size_t head_end = in.find("\r\n\r\n");
  if (head_end == std::string::npos) return in.size() > 65536 ? -1 : 0;
  if (in.compare(0, 7, "HTTP/1.") != 0 || in.size() < 12) return -1;
  *status = std::atoi(in.c_str() + 9);
  std::string_view head(in.data(), head_end);
  long length = -1;
  bool chunked = false;
  *close = in.compare(0, 8, "HTTP/1.0") == 0;
  size_t pos = head.find("\r\n");
  while (pos != std::string_view::npos && pos < head.size()) {
    size_t next = head.find("\r\n", pos + 2);
    std::string_view line = head.substr(pos + 2, (next == std::string_view::npos ? head.size() : next) - pos - 2);
    std::string_view value;
    if (HeaderIs(line, "content-length", &value)) {
      while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
      if (std::from_chars(value.data(), value.data() + value.size(), length).ec != std::errc()) {
        length = -1;
      }
    }
    if (HeaderIs(line, "transfer-encoding", &value) && ContainsNoCase(value, "chunked")) {
      chunked = true;
    }
    if (HeaderIs(line, "connection", &value)) *close = ContainsNoCase(value, "close");
    pos = next;
  }
  const size_t body = head_end + 4;
  if (!chunked) {
    if (length < 0) return (*status == 204 || *status == 304) ? static_cast<long>(body) : -1;
    return in.size() >= body + static_cast<size_t>(length) ? static_cast<long>(body + length) : 0;
  }
  size_t p = body;
  for (;;) {
    size_t eol = in.find("\r\n", p);
    if (eol == std::string::npos) return 0;
    char* end = nullptr;
    unsigned long n = std::strtoul(in.c_str() + p, &end, 16);
    if (end == in.c_str() + p) return -1;
    p = eol + 2;
    if (n == 0) {  // no trailers from our peers: the final CRLF
      if (in.size() < p + 2) return 0;
      return static_cast<long>(p + 2);
    }
    if (in.size() < p + n + 2) return 0;
    p += n + 2;
  }
}

bool ConnectFailed(int fd, uint32_t events) {
  int err = 0;
  socklen_t len = sizeof err;
  getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
  return err != 0 || (events & (EPOLLERR | EPOLLHUP)) != 0;
}

bool ReadAvailable(int fd, std::string& in) {
  char buf[16384];
  for (;;) {
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n > 0) {
      in.append(buf, static_cast<size_t>(n));
      continue;
    }
    return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
  }
}

bool ParseUrl(const std::string& text, Url& url) {
  const std::string prefix = "http://";
  if (text.rfind(prefix, 0) != 0) return false;
  std::string rest = text.substr(prefix.size());
  size_t slash = rest.find('/');
  std::string hostport = rest.substr(0, slash);
  url.path = slash == std::string::npos ? "/" : rest.substr(slash);
  size_t colon = hostport.rfind(':');
  if (colon == std::string::npos) return false;
  url.host = hostport.substr(0, colon);
  url.port = hostport.substr(colon + 1);
  return !url.host.empty() && !url.port.empty();
}

addrinfo* Resolve(const Url& url, const char* tool) {
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* addr = nullptr;
  if (int rc = getaddrinfo(url.host.c_str(), url.port.c_str(), &hints, &addr); rc != 0) {
    std::fprintf(stderr, "%s: %s:%s: %s\n", tool, url.host.c_str(), url.port.c_str(),
                 gai_strerror(rc));
    std::exit(2);
  }
  return addr;
}

}  // namespace bench
