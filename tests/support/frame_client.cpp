// frame_client.cpp: see frame_client.hpp.
#include "frame_client.hpp"

#include <spindle_protocol.h>

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <strings.h>

namespace spindle::test {

std::optional<std::string> FrameResponse::Header(std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (k.size() == name.size() && strncasecmp(k.data(), name.data(), k.size()) == 0) return v;
  }
  return std::nullopt;
}

FrameClient::FrameClient(const std::string& socket_path, std::chrono::milliseconds timeout)
    : timeout_(timeout) {
  fd_ = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, socket_path.c_str(), sizeof(addr.sun_path) - 1);
  if (connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    int err = errno;
    close(fd_);
    fd_ = -1;
    throw std::runtime_error("connect('" + socket_path + "'): " + std::strerror(err));
  }
}

FrameClient::~FrameClient() { Close(); }

void FrameClient::Close() {
  if (fd_ >= 0) close(fd_);
  fd_ = -1;
}

void FrameClient::SendRaw(std::string_view bytes) {
  while (!bytes.empty()) {
    ssize_t n = send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw std::runtime_error(std::string("send: ") + std::strerror(errno));
    }
    bytes.remove_prefix(static_cast<size_t>(n));
  }
}

void FrameClient::SendHead(const std::string& method, const std::string& uri,
                           const FieldList& headers, const FieldList& params, bool has_body,
                           int64_t content_length, const std::optional<std::string>& path_in) {
  auto to_fields = [](const FieldList& in) {
    std::vector<spindle_field_t> out;
    for (const auto& [k, v] : in) {
      out.push_back({{k.data(), static_cast<uint32_t>(k.size())},
                     {v.data(), static_cast<uint32_t>(v.size())}});
    }
    return out;
  };
  std::vector<spindle_field_t> h = to_fields(headers), p = to_fields(params);
  spindle_request_head_t head{};
  head.flags = has_body ? SPINDLE_REQUEST_HAS_BODY : 0;
  head.content_length = content_length;
  head.method = {method.data(), static_cast<uint32_t>(method.size())};
  head.uri = {uri.data(), static_cast<uint32_t>(uri.size())};
  // nginx sends the normalised path; most of this client's tests use plain
  // paths, so by default the path is the URI before '?'.
  const std::string path = path_in ? *path_in : uri.substr(0, uri.find('?'));
  head.path = {path.data(), static_cast<uint32_t>(path.size())};
  head.protocol = {"HTTP/1.1", 8};
  head.remote_addr = {remote_addr.data(), static_cast<uint32_t>(remote_addr.size())};
  head.scheme = {scheme.data(), static_cast<uint32_t>(scheme.size())};
  head.host = {host.data(), static_cast<uint32_t>(host.size())};
  head.params = p.data();
  head.nparams = static_cast<uint16_t>(p.size());
  head.headers = h.data();
  head.nheaders = static_cast<uint16_t>(h.size());
  std::string out(SPINDLE_FRAME_HEADER_SIZE + spindle_request_head_size(&head), '\0');
  uint8_t* end = spindle_request_head_encode(reinterpret_cast<uint8_t*>(out.data()), &head);
  if (end != reinterpret_cast<uint8_t*>(out.data()) + out.size()) {
    throw std::logic_error("request head size mismatch");
  }
  SendRaw(out);
}

void FrameClient::SendBody(std::string_view data) {
  while (!data.empty()) {
    size_t n = std::min<size_t>(data.size(), SPINDLE_MAX_BODY_FRAME);
    std::string hdr(SPINDLE_FRAME_HEADER_SIZE, '\0');
    spindle_frame_header_encode(reinterpret_cast<uint8_t*>(hdr.data()),
                                SPINDLE_FRAME_REQUEST_BODY, static_cast<uint32_t>(n));
    SendRaw(hdr);
    SendRaw(data.substr(0, n));
    data.remove_prefix(n);
  }
}

void FrameClient::SendEnd() {
  std::string hdr(SPINDLE_FRAME_HEADER_SIZE, '\0');
  spindle_frame_header_encode(reinterpret_cast<uint8_t*>(hdr.data()), SPINDLE_FRAME_REQUEST_END, 0);
  SendRaw(hdr);
}

void FrameClient::SendAbort(std::string_view reason) {
  std::string hdr(SPINDLE_FRAME_HEADER_SIZE, '\0');
  spindle_frame_header_encode(reinterpret_cast<uint8_t*>(hdr.data()), SPINDLE_FRAME_ABORT,
                              static_cast<uint32_t>(reason.size()));
  SendRaw(hdr + std::string(reason));
}

bool FrameClient::Fill(std::chrono::milliseconds timeout) {
  pollfd p{fd_, POLLIN, 0};
  int rc = poll(&p, 1, static_cast<int>(timeout.count()));
  if (rc == 0) throw std::runtime_error("timed out waiting for the daemon");
  if (rc < 0) throw std::runtime_error(std::string("poll: ") + std::strerror(errno));
  char tmp[65536];
  ssize_t n = recv(fd_, tmp, sizeof(tmp), 0);
  if (n <= 0) return false;
  buf_.append(tmp, static_cast<size_t>(n));
  return true;
}

std::optional<Frame> FrameClient::ReadFrame() {
  for (;;) {
    if (buf_.size() >= SPINDLE_FRAME_HEADER_SIZE) {
      spindle_frame_header_t h;
      int rc = spindle_frame_header_decode(reinterpret_cast<const uint8_t*>(buf_.data()),
                                           buf_.size(), nullptr, &h);
      if (rc != SPINDLE_OK) {
        throw std::runtime_error(std::string("daemon sent a bad frame: ") + spindle_strerror(rc));
      }
      if (buf_.size() >= SPINDLE_FRAME_HEADER_SIZE + h.length) {
        Frame f{h.type, buf_.substr(SPINDLE_FRAME_HEADER_SIZE, h.length)};
        buf_.erase(0, SPINDLE_FRAME_HEADER_SIZE + h.length);
        return f;
      }
    }
    if (!Fill(timeout_)) {
      if (!buf_.empty()) throw std::runtime_error("daemon closed mid-frame");
      return std::nullopt;
    }
  }
}

FrameResponse FrameClient::ReadResponse() {
  FrameResponse r;
  for (;;) {
    auto f = ReadFrame();
    if (!f) throw std::runtime_error("daemon closed the connection before the response ended");
    switch (f->type) {
      case SPINDLE_FRAME_RESPONSE_HEAD: {
        std::vector<spindle_field_t> fields(1024);
        spindle_response_head_t h{};
        h.headers = fields.data();
        int rc = spindle_response_head_decode(reinterpret_cast<const uint8_t*>(f->payload.data()),
                                              f->payload.size(), &h, 1024);
        if (rc != SPINDLE_OK) throw std::runtime_error("bad response head");
        r.status = h.status;
        for (uint16_t i = 0; i < h.nheaders; ++i) {
          r.headers.emplace_back(std::string(h.headers[i].name.data, h.headers[i].name.len),
                                 std::string(h.headers[i].value.data, h.headers[i].value.len));
        }
        break;
      }
      case SPINDLE_FRAME_RESPONSE_BODY:
        r.chunks.push_back(f->payload);
        r.body += f->payload;
        break;
      case SPINDLE_FRAME_RESPONSE_END:
        r.ended = true;
        return r;
      case SPINDLE_FRAME_ABORT:
        r.aborted = true;
        r.abort_reason = f->payload;
        return r;
      default:
        throw std::runtime_error("unexpected frame type " + std::to_string(f->type));
    }
  }
}

FrameResponse FrameClient::Request(const std::string& method, const std::string& uri,
                                   std::string_view body, const FieldList& headers) {
  SendHead(method, uri, headers, {}, !body.empty(), static_cast<int64_t>(body.size()));
  if (!body.empty()) SendBody(body);
  SendEnd();
  return ReadResponse();
}

bool FrameClient::WaitClosed(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    try {
      if (!Fill(left)) return true;
    } catch (const std::runtime_error&) {
      return false;
    }
    buf_.clear();
  }
}

}  // namespace spindle::test
