// plain_http.cpp: see plain_http.hpp.
#include "server/plain_http.hpp"

#include <spindle/io.hpp>

#include "server/plain_http_head.hpp"
#include "server/strings.hpp"

#include <spdlog/spdlog.h>

#include <cerrno>
#include <cstring>

namespace spindle::server {
namespace {

class PlainHttpConnection {
 public:
  PlainHttpConnection(int fd, std::string_view buffered, const config::Config& cfg)
      : fd_(fd), cfg_(cfg), buf_(buffered) {}

  // One request: false when the connection is done with.
  bool ServeOne(const PlainHttpAnswer& answer) {
    // Drop what earlier requests used: pipelined requests cannot grow the
    // buffer past one head (max_head_size) plus one read.
    buf_.erase(0, pos_);
    pos_ = 0;
    const Deadline deadline = Deadline::after(cfg_.idle_timeout);
    const size_t max_head = cfg_.limits.max_head_size;
    size_t end;
    while ((end = buf_.find("\r\n\r\n")) == std::string::npos) {
      if (buf_.size() > max_head) return Refuse(431, deadline);
      if (!ReadMore(deadline)) return false;
    }
    if (end + 4 > max_head) return Refuse(431, deadline);
    const std::string_view head(buf_.data(), end);
    pos_ = end + 4;
    HttpHead h;
    if (int status = ParseHttpHead(head, &h); status != 0) return Refuse(status, deadline);
    const PlainHttpReply reply = answer(h.method, h.target);
    std::string out = Head(reply.status, reply.content_type, reply.body.size(), h.keep_alive);
    if (!reply.allow.empty()) out.insert(out.size() - 2, "Allow: " + reply.allow + "\r\n");
    if (h.method != "HEAD") out += reply.body;
    return Send(out, deadline) && h.keep_alive;
  }

 private:
  static std::string Head(int status, std::string_view type, size_t length, bool keep_alive) {
    std::string out = "HTTP/1.1 " + std::to_string(status) + " " + ReasonPhrase(status) + "\r\n";
    out.append("Content-Type: ").append(type).append("\r\n");
    out += "Content-Length: " + std::to_string(length) + "\r\n";
    out += keep_alive ? "Connection: keep-alive\r\n\r\n" : "Connection: close\r\n\r\n";
    return out;
  }

  // A malformed or oversized request: answered, then the connection closes.
  bool Refuse(int status, Deadline deadline) {
    spdlog::warn("admin connection fd '{}': bad http request, answering '{}' and closing", fd_,
                 status);
    const std::string body = std::string(ReasonPhrase(status)) + "\n";
    Send(Head(status, "text/plain; charset=utf-8", body.size(), false) + body, deadline);
    return false;
  }

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
    return write_all(fd_, data.data(), data.size(), deadline).err == 0;
  }

  int fd_;
  const config::Config& cfg_;
  std::string buf_;
  size_t pos_ = 0;
};

}  // namespace

void ServePlainHttp(int fd, std::string_view buffered, const config::Config& cfg,
                    const PlainHttpAnswer& answer) {
  PlainHttpConnection conn(fd, buffered, cfg);
  while (conn.ServeOne(answer)) {
  }
}

}  // namespace spindle::server
