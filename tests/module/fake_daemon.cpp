// FakeDaemon: unix-socket stand-in for spindled in the module tests (see
// fake_daemon.hpp). Accept thread + one thread per connection.
#include "fake_daemon.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <stdexcept>

#include "spindle_protocol.h"

namespace spindle::test {

namespace {

bool IEquals(std::string_view a, std::string_view b) {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

std::optional<std::string> Find(const Headers& list, std::string_view name) {
  for (const auto& [k, v] : list) {
    if (IEquals(k, name)) return v;
  }
  return std::nullopt;
}

Headers ToHeaders(const spindle_field_t* f, uint16_t n) {
  Headers out;
  for (uint16_t i = 0; i < n; i++) {
    out.emplace_back(std::string(f[i].name.data, f[i].name.len),
                     std::string(f[i].value.data, f[i].value.len));
  }
  return out;
}

}  // namespace

std::optional<std::string> FakeRequest::Header(std::string_view name) const {
  return Find(headers, name);
}

std::optional<std::string> FakeRequest::Param(std::string_view name) const {
  return Find(params, name);
}

std::string Frame(uint8_t type, std::string_view payload, uint8_t version) {
  std::string out(SPINDLE_FRAME_HEADER_SIZE, '\0');
  auto* p = reinterpret_cast<uint8_t*>(out.data());
  spindle_frame_header_encode(p, type, static_cast<uint32_t>(payload.size()));
  p[0] = version;
  out.append(payload);
  return out;
}

std::string ResponseHead(int status, const Headers& headers) {
  std::vector<spindle_field_t> fields;
  for (const auto& [k, v] : headers) {
    fields.push_back({{k.data(), static_cast<uint32_t>(k.size())},
                      {v.data(), static_cast<uint32_t>(v.size())}});
  }
  spindle_response_head_t h{};
  h.status = static_cast<uint16_t>(status);
  h.headers = fields.data();
  h.nheaders = static_cast<uint16_t>(fields.size());
  std::string out(SPINDLE_FRAME_HEADER_SIZE + spindle_response_head_size(&h), '\0');
  uint8_t* end = spindle_response_head_encode(reinterpret_cast<uint8_t*>(out.data()), &h);
  out.resize(static_cast<size_t>(end - reinterpret_cast<uint8_t*>(out.data())));
  return out;
}

std::string ResponseBody(std::string_view data) {
  return Frame(SPINDLE_FRAME_RESPONSE_BODY, data);
}

std::string ResponseEnd() { return Frame(SPINDLE_FRAME_RESPONSE_END, {}); }

std::string Response(int status, const Headers& headers, std::string_view body, size_t frame) {
  std::string out = ResponseHead(status, headers);
  for (size_t off = 0; off < body.size(); off += frame) {
    out += ResponseBody(body.substr(off, frame));
  }
  return out + ResponseEnd();
}

bool FakeConnection::Send(std::string_view bytes) {
  while (!bytes.empty() && fd_ >= 0) {
    ssize_t n = send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return fd_ >= 0;
}

void FakeConnection::Close() {
  if (fd_ >= 0) {
    // shutdown, not close: the daemon's bookkeeping closes the fd later,
    // so a reused fd number can never be shut down by mistake.
    shutdown(fd_, SHUT_RDWR);
    fd_ = -1;
  }
}

FakeDaemon::FakeDaemon(const std::string& dir, Handler handler)
    : path_(dir + "/fake.sock"), handler_(std::move(handler)) {
  listen_fd_ = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (listen_fd_ < 0) throw std::runtime_error("fake daemon: socket() failed");
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path_.size() >= sizeof(addr.sun_path)) throw std::runtime_error("fake daemon: path too long");
  std::memcpy(addr.sun_path, path_.c_str(), path_.size() + 1);
  unlink(path_.c_str());
  if (bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      listen(listen_fd_, 128) != 0) {
    close(listen_fd_);
    throw std::runtime_error(std::string("fake daemon: bind/listen failed: ") +
                             std::strerror(errno));
  }
  chmod(path_.c_str(), 0777);
  if (pipe2(stop_pipe_, O_CLOEXEC) != 0) throw std::runtime_error("fake daemon: pipe failed");
  acceptor_ = std::thread([this] { AcceptLoop(); });
}

FakeDaemon::~FakeDaemon() {
  stopping_ = true;
  (void)!write(stop_pipe_[1], "x", 1);
  acceptor_.join();
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (int fd : conn_fds_) shutdown(fd, SHUT_RDWR);
  }
  for (auto& t : threads_) t.join();
  for (int fd : conn_fds_) close(fd);
  close(listen_fd_);
  close(stop_pipe_[0]);
  close(stop_pipe_[1]);
  unlink(path_.c_str());
}

void FakeDaemon::AcceptLoop() {
  for (;;) {
    pollfd p[2] = {{listen_fd_, POLLIN, 0}, {stop_pipe_[0], POLLIN, 0}};
    if (poll(p, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return;
    }
    if (p[1].revents || stopping_) return;
    int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    accepts_++;
    std::lock_guard<std::mutex> lock(mu_);
    conn_fds_.push_back(fd);
    threads_.emplace_back([this, fd] { Serve(fd); });
  }
}

bool FakeDaemon::ReadExact(int fd, void* buf, size_t n) {
  auto* p = static_cast<char*>(buf);
  while (n > 0) {
    ssize_t r = recv(fd, p, n, 0);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return false;
    p += r;
    n -= static_cast<size_t>(r);
  }
  return true;
}

void FakeDaemon::Serve(int fd) {
  FakeConnection conn(fd);
  std::vector<uint8_t> payload;
  std::vector<spindle_field_t> params(SPINDLE_MAX_FIELDS), headers(SPINDLE_MAX_FIELDS);
  while (!stopping_ && !conn.closed()) {
    uint8_t hdr[SPINDLE_FRAME_HEADER_SIZE];
    spindle_frame_header_t fh;
    if (!ReadExact(fd, hdr, sizeof(hdr))) return;
    if (spindle_frame_header_decode(hdr, sizeof(hdr), nullptr, &fh) != SPINDLE_OK ||
        fh.type != SPINDLE_FRAME_REQUEST_HEAD) {
      return;  // the module never sends this: the test will see it fail
    }
    payload.resize(fh.length);
    if (!ReadExact(fd, payload.data(), fh.length)) return;
    spindle_request_head_t head{};
    head.params = params.data();
    head.headers = headers.data();
    if (spindle_request_head_decode(payload.data(), fh.length, &head, SPINDLE_MAX_FIELDS) !=
        SPINDLE_OK) {
      return;
    }
    FakeRequest req;
    req.wire.assign(reinterpret_cast<const char*>(hdr), sizeof(hdr));
    req.wire.append(reinterpret_cast<const char*>(payload.data()), fh.length);
    req.method.assign(head.method.data, head.method.len);
    req.uri.assign(head.uri.data, head.uri.len);
    req.path.assign(head.path.data, head.path.len);
    req.protocol.assign(head.protocol.data, head.protocol.len);
    req.remote_addr.assign(head.remote_addr.data, head.remote_addr.len);
    req.scheme.assign(head.scheme.data, head.scheme.len);
    req.host.assign(head.host.data, head.host.len);
    req.flags = head.flags;
    req.content_length = head.content_length;
    req.params = ToHeaders(head.params, head.nparams);
    req.headers = ToHeaders(head.headers, head.nheaders);
    // The body, then REQUEST_END.
    for (;;) {
      if (!ReadExact(fd, hdr, sizeof(hdr))) return;
      if (spindle_frame_header_decode(hdr, sizeof(hdr), nullptr, &fh) != SPINDLE_OK) return;
      req.wire.append(reinterpret_cast<const char*>(hdr), sizeof(hdr));
      if (fh.type == SPINDLE_FRAME_REQUEST_END) {
        req.ended = true;
        break;
      }
      if (fh.type != SPINDLE_FRAME_REQUEST_BODY) return;
      size_t old = req.body.size();
      req.body.resize(old + fh.length);
      if (!ReadExact(fd, req.body.data() + old, fh.length)) return;
      req.wire.append(req.body, old, fh.length);
      req.body_frames.push_back(fh.length);
      body_frames_seen_++;
    }
    {
      std::lock_guard<std::mutex> lock(mu_);
      requests_.push_back(req);
    }
    handler_(conn, req);
  }
}

std::vector<FakeRequest> FakeDaemon::requests() const {
  std::lock_guard<std::mutex> lock(mu_);
  return requests_;
}

bool FakeDaemon::WaitFor(const std::function<bool()>& pred, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!pred()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return true;
}

}  // namespace spindle::test
