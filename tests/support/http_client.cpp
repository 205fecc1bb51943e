// HttpClient: blocking HTTP/1.1 test client over raw sockets (see
// http_client.hpp). Test threads only; each socket wait bounded by poll().
#include "http_client.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <thread>

namespace spindle::test {

namespace {

bool IEquals(std::string_view a, std::string_view b) {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

std::string Trim(std::string_view s) {
  size_t b = s.find_first_not_of(" \t");
  if (b == std::string_view::npos) return {};
  size_t e = s.find_last_not_of(" \t");
  return std::string(s.substr(b, e - b + 1));
}

bool HasHeader(const Headers& headers, std::string_view name) {
  for (const auto& h : headers) {
    if (IEquals(h.first, name)) return true;
  }
  return false;
}

std::string Hex(size_t n) {
  char buf[32];
  snprintf(buf, sizeof(buf), "%zx", n);
  return buf;
}

}  // namespace

std::optional<std::string> HttpResponse::Header(std::string_view name) const {
  for (const auto& h : headers) {
    if (IEquals(h.first, name)) return h.second;
  }
  return std::nullopt;
}

size_t HttpResponse::HeaderCount(std::string_view name) const {
  return static_cast<size_t>(std::count_if(headers.begin(), headers.end(),
                                           [&](const auto& h) { return IEquals(h.first, name); }));
}

HttpClient::HttpClient(uint16_t port, std::string host, std::chrono::milliseconds io_timeout)
    : port_(port), host_(std::move(host)), io_timeout_(io_timeout) {}

HttpClient::~HttpClient() { Close(); }

void HttpClient::Connect() {
  Close();
  fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0) throw HttpError(HttpError::Kind::kConnect, "http client: socket() failed");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port_);
  if (inet_pton(AF_INET, host_.c_str(), &addr.sin_addr) != 1) {
    Close();
    throw std::runtime_error("http client: bad host '" + host_ + "'");
  }
  // A blocking connect to loopback completes or fails at once.
  if (connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    int err = errno;
    Close();
    throw HttpError(HttpError::Kind::kConnect, "http client: connect to port " + std::to_string(port_) +
                             " failed: " + std::strerror(err));
  }
  int one = 1;
  setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  connects_++;
  server_closes_ = false;
  eof_ = false;
}

void HttpClient::Close() {
  if (fd_ >= 0) close(fd_);
  fd_ = -1;
  buf_.clear();
}

void HttpClient::WriteAll(std::string_view bytes) {
  while (!bytes.empty()) {
    pollfd p{fd_, POLLOUT, 0};
    int rc = poll(&p, 1, static_cast<int>(io_timeout_.count()));
    if (rc == 0) throw HttpError(HttpError::Kind::kTimeout, "http client: write timed out");
    if (rc < 0) {
      if (errno == EINTR) continue;
      throw std::runtime_error("http client: poll failed");
    }
    ssize_t n = send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EAGAIN || errno == EINTR) continue;
      throw HttpError(HttpError::Kind::kClosed,
                      std::string("http client: send failed: ") + std::strerror(errno));
    }
    bytes.remove_prefix(static_cast<size_t>(n));
  }
}

void HttpClient::SendRaw(std::string_view bytes) {
  if (fd_ < 0) Connect();
  WriteAll(bytes);
}

bool HttpClient::Fill() {
  char tmp[65536];
  for (;;) {
    pollfd p{fd_, POLLIN, 0};
    int rc = poll(&p, 1, static_cast<int>(io_timeout_.count()));
    if (rc == 0) throw HttpError(HttpError::Kind::kTimeout, "http client: read timed out");
    if (rc < 0) {
      if (errno == EINTR) continue;
      throw std::runtime_error("http client: poll failed");
    }
    ssize_t n = recv(fd_, tmp, sizeof(tmp), MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EAGAIN || errno == EINTR) continue;
      if (errno == ECONNRESET) {
        eof_ = true;
        return false;
      }
      throw HttpError(HttpError::Kind::kClosed,
                      std::string("http client: recv failed: ") + std::strerror(errno));
    }
    if (n == 0) {
      eof_ = true;
      return false;
    }
    buf_.append(tmp, static_cast<size_t>(n));
    return true;
  }
}

std::string HttpClient::ReadLine() {
  for (;;) {
    size_t eol = buf_.find("\r\n");
    if (eol != std::string::npos) {
      std::string line = buf_.substr(0, eol);
      buf_.erase(0, eol + 2);
      return line;
    }
    if (buf_.size() > 1024 * 1024) throw HttpError(HttpError::Kind::kProtocol, "http client: line too long");
    if (!Fill()) throw HttpError(HttpError::Kind::kClosed, "http client: connection closed inside a line");
  }
}

void HttpClient::SendRequest(const HttpRequest& req) {
  if (fd_ < 0 || server_closes_) Connect();
  std::string head = req.method + " " + req.target + " HTTP/1.1\r\n";
  if (!HasHeader(req.headers, "host")) head += "Host: localhost\r\n";
  for (const auto& [name, value] : req.headers) head += name + ": " + value + "\r\n";
  if (!req.keep_alive) head += "Connection: close\r\n";
  if (!req.chunks.empty()) {
    head += "Transfer-Encoding: chunked\r\n";
  } else if (!req.body.empty() || req.send_content_length_zero) {
    head += "Content-Length: " + std::to_string(req.body.size()) + "\r\n";
  }
  head += "\r\n";
  if (req.chunks.empty()) {
    WriteAll(head + req.body);
    return;
  }
  WriteAll(head);
  bool first = true;
  for (const auto& chunk : req.chunks) {
    if (!first && req.chunk_delay.count() > 0) std::this_thread::sleep_for(req.chunk_delay);
    first = false;
    if (chunk.empty()) continue;  // an empty chunk would end the body early
    WriteAll(Hex(chunk.size()) + "\r\n" + chunk + "\r\n");
  }
  WriteAll("0\r\n\r\n");
}

HttpResponse HttpClient::ReadResponse(bool head_request,
                                      const std::function<bool(std::string_view)>& on_piece) {
  if (fd_ < 0) throw HttpError(HttpError::Kind::kClosed, "http client: not connected");
  HttpResponse resp;
  std::string status_line;
  do {  // skip 1xx interim responses
    status_line = ReadLine();
    if (status_line.rfind("HTTP/1.", 0) != 0 || status_line.size() < 12) {
      throw HttpError(HttpError::Kind::kProtocol,
                      "http client: bad status line '" + status_line + "'");
    }
    resp.status = std::stoi(status_line.substr(9, 3));
    resp.reason = status_line.size() > 13 ? status_line.substr(13) : "";
    resp.headers.clear();
    for (std::string line = ReadLine(); !line.empty(); line = ReadLine()) {
      size_t colon = line.find(':');
      if (colon == std::string::npos) throw HttpError(HttpError::Kind::kProtocol, "http client: bad header line");
      resp.headers.emplace_back(line.substr(0, colon), Trim(line.substr(colon + 1)));
    }
  } while (resp.status >= 100 && resp.status < 200);

  auto connection = resp.Header("connection");
  server_closes_ = (connection && IEquals(*connection, "close")) ||
                   status_line.rfind("HTTP/1.0", 0) == 0;

  bool stop = false;
  // Moves up to `limit` bytes of buf_ into the body as one piece.
  auto take = [&](size_t limit) {
    size_t n = std::min(limit, buf_.size());
    if (n == 0) return n;
    resp.pieces.push_back({std::chrono::steady_clock::now(), n});
    std::string_view piece(buf_.data(), n);
    if (keep_body_) resp.body.append(piece);
    if (on_piece && !on_piece(piece)) stop = true;
    buf_.erase(0, n);
    return n;
  };
  auto abandon = [&] {
    Close();
    return resp;
  };

  if (head_request || resp.status == 204 || resp.status == 304) {
    resp.complete = true;
    if (server_closes_) Close();
    return resp;
  }
  auto te = resp.Header("transfer-encoding");
  auto cl = resp.Header("content-length");
  if (te && te->find("chunked") != std::string::npos) {
    resp.chunked = true;
    try {
      for (;;) {
        std::string size_line = ReadLine();
        size_t size = std::stoul(size_line, nullptr, 16);
        if (size == 0) break;
        while (size > 0) {
          if (buf_.empty() && !Fill()) {
            throw HttpError(HttpError::Kind::kClosed,
                            "http client: connection closed inside a chunk");
          }
          size -= take(size);
          if (stop) return abandon();
        }
        if (!ReadLine().empty()) throw HttpError(HttpError::Kind::kProtocol, "http client: bad chunk end");
      }
      while (!ReadLine().empty()) {
      }  // trailers
    } catch (const std::runtime_error&) {
      if (!eof_) throw;
      return abandon();  // the server closed mid-body: complete stays false
    }
    resp.complete = true;
  } else if (cl) {
    size_t left = std::stoul(*cl);
    while (left > 0) {
      if (buf_.empty() && !Fill()) {
        Close();
        return resp;  // truncated: complete stays false
      }
      left -= take(left);
      if (stop) return abandon();
    }
    resp.complete = true;
  } else {
    for (;;) {
      take(buf_.size());
      if (stop) return abandon();
      if (!Fill()) break;
    }
    resp.complete = true;
    server_closes_ = true;
  }
  if (server_closes_) Close();
  return resp;
}

HttpResponse HttpClient::Send(const HttpRequest& request) {
  const bool reused = fd_ >= 0 && !server_closes_;
  HttpResponse resp;
  try {
    SendRequest(request);
    resp = ReadResponse(request.method == "HEAD");
  } catch (const std::runtime_error&) {
    // A kept-alive connection the server closed while idle (as nginx does on
    // reload) fails before any response byte: retry once on a new one.
    if (!reused || !eof_ || !buf_.empty()) throw;
    Connect();
    SendRequest(request);
    resp = ReadResponse(request.method == "HEAD");
  }
  if (!request.keep_alive) Close();
  return resp;
}

HttpResponse HttpGet(uint16_t port, const std::string& target, Headers headers) {
  HttpRequest req;
  req.target = target;
  req.headers = std::move(headers);
  return HttpSend(port, std::move(req));
}

HttpResponse HttpSend(uint16_t port, HttpRequest request) {
  HttpClient client(port);
  request.keep_alive = false;
  return client.Send(request);
}

}  // namespace spindle::test
