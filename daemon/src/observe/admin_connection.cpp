// admin_connection.cpp: see admin_connection.hpp. Both protocols share one
// read buffer; a request (head and, for spindle frames, its body) must fit in
// AdminOptions::max_request_bytes and arrive within io_timeout.
#include "observe/admin_connection.hpp"

#include <spindle/io.hpp>

#include "observe/admin_http.hpp"
#include "observe/admin_routes.hpp"

#include <spdlog/spdlog.h>
#include <spindle_protocol.h>

#include <unistd.h>

#include <cstring>
#include <string>
#include <string_view>
#include <utility>

namespace spindle::observe {
namespace {

constexpr uint16_t kMaxFields = 128;
constexpr size_t kBodyChunk = 64 * 1024;

class AdminConnection {
 public:
  AdminConnection(int fd, const MetricsRegion& region, const AdminOptions& options)
      : fd_(fd), region_(region), options_(options) {
    limits_.max_head_size = static_cast<uint32_t>(options.max_request_bytes);
    limits_.max_body_frame = static_cast<uint32_t>(options.max_request_bytes);
  }

  void Run() {
    for (;;) {
      // Drop what earlier requests used, so pipelined requests cannot grow
      // the buffer past one request (max_request_bytes) plus one read.
      if (pos_ > 0) Compact();
      if (Buffered() == 0 && !ReadMore(Deadline::after(options_.io_timeout))) return;
      const Deadline request_deadline = Deadline::after(options_.io_timeout);
      const unsigned char first = static_cast<unsigned char>(buf_[pos_]);
      bool keep;
      if (first == SPINDLE_PROTOCOL_VERSION) {
        keep = ServeSpindle(request_deadline);
      } else if (first >= 'A' && first <= 'Z') {
        keep = ServeHttp(request_deadline);
      } else {
        spdlog::warn("admin connection fd '{}': unknown protocol (first byte '0x{:02x}'), closing",
                     fd_, first);
        keep = false;
      }
      if (!keep) return;
    }
  }

 private:
  size_t Buffered() const { return buf_.size() - pos_; }

  void Compact() {
    buf_.erase(0, pos_);
    pos_ = 0;
  }

  // Appends what the socket has; false on EOF, error, timeout or cancellation.
  bool ReadMore(Deadline deadline) {
    char tmp[4096];
    IoResult r = read_some(fd_, tmp, sizeof tmp, deadline);
    if (r.n > 0) {
      buf_.append(tmp, static_cast<size_t>(r.n));
      return true;
    }
    if (r.err != 0 && r.err != ECONNRESET && r.err != ECANCELED) {
      spdlog::debug("admin connection fd '{}': read ended: '{}'", fd_, std::strerror(r.err));
    }
    return false;
  }

  bool Send(const std::string& data, Deadline deadline) {
    IoResult r = write_all(fd_, data.data(), data.size(), deadline);
    return r.err == 0;
  }

  bool ServeHttp(Deadline deadline) {
    size_t end;
    while ((end = buf_.find("\r\n\r\n", pos_)) == std::string::npos) {
      if (Buffered() > options_.max_request_bytes) return HttpError(431, deadline);
      if (!ReadMore(deadline)) return false;
    }
    if (end + 4 - pos_ > options_.max_request_bytes) return HttpError(431, deadline);
    std::string head = buf_.substr(pos_, end - pos_);
    pos_ = end + 4;
    HttpHead h;
    if (int status = ParseHttpHead(head, &h); status != 0) return HttpError(status, deadline);
    AdminReply reply = HandleAdminRequest(region_, h.method, h.target);
    std::string out = "HTTP/1.1 " + std::to_string(reply.status) + " " + AdminReason(reply.status) +
                      "\r\nContent-Type: " + reply.content_type +
                      "\r\nContent-Length: " + std::to_string(reply.body.size()) + "\r\n";
    if (!reply.allow.empty()) out += "Allow: " + reply.allow + "\r\n";
    out += h.keep_alive ? "Connection: keep-alive\r\n\r\n" : "Connection: close\r\n\r\n";
    if (h.method != "HEAD") out += reply.body;
    return Send(out, deadline) && h.keep_alive;
  }

  // Answers a malformed HTTP request and closes (returns false).
  bool HttpError(int status, Deadline deadline) {
    spdlog::warn("admin connection fd '{}': bad http request, answering '{}' and closing", fd_,
                 status);
    std::string body = std::string(AdminReason(status)) + "\n";
    std::string out = "HTTP/1.1 " + std::to_string(status) + " " + AdminReason(status) +
                      "\r\nContent-Type: text/plain\r\nContent-Length: " +
                      std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body;
    Send(out, deadline);
    return false;
  }

  enum class FrameStatus { kFrame, kClosed, kMalformed };

  // Reads one whole frame into the buffer; `payload` points into buf_ and is
  // valid until the next read.
  FrameStatus ReadFrame(Deadline deadline, spindle_frame_header_t* h, const uint8_t** payload) {
    for (;;) {
      const auto* p = reinterpret_cast<const uint8_t*>(buf_.data() + pos_);
      int rc = spindle_frame_header_decode(p, Buffered(), &limits_, h);
      if (rc < 0) {
        spdlog::error("admin connection fd '{}': malformed spindle frame: '{}', closing", fd_,
                      spindle_strerror(rc));
        return FrameStatus::kMalformed;
      }
      if (rc == SPINDLE_OK && Buffered() >= SPINDLE_FRAME_HEADER_SIZE + h->length) {
        *payload = p + SPINDLE_FRAME_HEADER_SIZE;
        return FrameStatus::kFrame;
      }
      if (!ReadMore(deadline)) return FrameStatus::kClosed;
    }
  }

  void ConsumeFrame(const spindle_frame_header_t& h) { pos_ += SPINDLE_FRAME_HEADER_SIZE + h.length; }

  bool ServeSpindle(Deadline deadline) {
    spindle_frame_header_t h;
    const uint8_t* payload = nullptr;
    if (ReadFrame(deadline, &h, &payload) != FrameStatus::kFrame) return false;
    if (h.type == SPINDLE_FRAME_ABORT) {  // nothing to abort while idle
      ConsumeFrame(h);
      return true;
    }
    if (h.type != SPINDLE_FRAME_REQUEST_HEAD) {
      spdlog::error("admin connection fd '{}': unexpected spindle frame type '{}', closing", fd_,
                    h.type);
      return false;
    }
    // The whole head is checked, though only its method, uri and path are used.
    spindle_request_head_t head{};
    spindle_fields_t fields;
    spindle_field_t field;
    spindle_status_t rc = spindle_request_head_open(payload, h.length, &head, &fields);
    if (rc == SPINDLE_OK && (head.nparams > kMaxFields || head.nheaders > kMaxFields)) {
      rc = SPINDLE_E_FIELDS;
    }
    while (rc == SPINDLE_OK) rc = spindle_fields_next(&fields, &field);
    if (rc != SPINDLE_DONE) {
      spdlog::error("admin connection fd '{}': malformed request head: '{}', closing", fd_,
                    spindle_strerror(rc));
      return false;
    }
    const std::string method(head.method.data, head.method.len);
    // Route on the path nginx matched its location on, like the app server
    // does; the query comes from the raw URI.
    const std::string_view raw(head.uri.data, head.uri.len);
    const size_t q = raw.find('?');
    std::string uri(head.path.data, head.path.len);
    if (q != std::string_view::npos) uri.append(raw.substr(q));
    ConsumeFrame(h);
    size_t body = 0;
    for (;;) {
      if (ReadFrame(deadline, &h, &payload) != FrameStatus::kFrame) return false;
      ConsumeFrame(h);
      if (h.type == SPINDLE_FRAME_REQUEST_END) break;
      if (h.type == SPINDLE_FRAME_ABORT) return true;  // request dropped, connection kept
      if (h.type != SPINDLE_FRAME_REQUEST_BODY || (body += h.length) > options_.max_request_bytes) {
        spdlog::error("admin connection fd '{}': unexpected spindle frame type '{}' or body over "
                      "'{}' bytes, closing", fd_, h.type, options_.max_request_bytes);
        return false;
      }
    }
    AdminReply reply = HandleAdminRequest(region_, method, uri);
    return Send(EncodeResponse(reply, method != "HEAD"), deadline);
  }

  static std::string EncodeResponse(const AdminReply& reply, bool with_body) {
    const std::string length = std::to_string(reply.body.size());
    const std::pair<std::string_view, std::string_view> fields[3] = {
        {"Content-Type", reply.content_type}, {"Content-Length", length}, {"Allow", reply.allow}};
    const size_t nfields = reply.allow.empty() ? 2 : 3;
    size_t payload = SPINDLE_RESPONSE_HEAD_FIXED;
    for (size_t i = 0; i < nfields; ++i) {
      payload += SPINDLE_FIELD_SIZE(fields[i].first.size(), fields[i].second.size());
    }
    std::string out(SPINDLE_FRAME_HEADER_SIZE + payload, '\0');
    uint8_t* p = spindle_response_head_begin(reinterpret_cast<uint8_t*>(out.data()),
                                             static_cast<uint32_t>(payload),
                                             static_cast<uint16_t>(reply.status),
                                             static_cast<uint16_t>(nfields));
    for (size_t i = 0; i < nfields; ++i) {
      const auto& [name, value] = fields[i];
      p = spindle_put_field(p, name.data(), static_cast<uint32_t>(name.size()), value.data(),
                            static_cast<uint32_t>(value.size()));
    }
    uint8_t hdr[SPINDLE_FRAME_HEADER_SIZE];
    for (size_t off = 0; with_body && off < reply.body.size(); off += kBodyChunk) {
      size_t n = std::min(kBodyChunk, reply.body.size() - off);
      spindle_frame_header_encode(hdr, SPINDLE_FRAME_RESPONSE_BODY, static_cast<uint32_t>(n));
      out.append(reinterpret_cast<const char*>(hdr), sizeof hdr);
      out.append(reply.body, off, n);
    }
    spindle_frame_header_encode(hdr, SPINDLE_FRAME_RESPONSE_END, 0);
    out.append(reinterpret_cast<const char*>(hdr), sizeof hdr);
    return out;
  }

  int fd_;
  const MetricsRegion& region_;
  const AdminOptions& options_;
  spindle_limits_t limits_{};
  std::string buf_;
  size_t pos_ = 0;
};

}  // namespace

void ServeAdminConnection(int fd, const MetricsRegion& region, const AdminOptions& options) {
  AdminConnection(fd, region, options).Run();
  forget_fd(fd);
  ::close(fd);
}

}  // namespace spindle::observe
