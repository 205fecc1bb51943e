// response.cpp: Response (public app API) on top of the connection's
// FrameWriter. Runs in the handler fiber; see response.hpp for the contract.
#include <spindle/errors.hpp>
#include <spindle/response.hpp>

#include <spindle_protocol.h>

#include "server/frame_writer.hpp"
#include "server/strings.hpp"

#include <charconv>
#include <string>
#include <stdexcept>

namespace spindle {

namespace {

void CheckField(std::string_view name, std::string_view value) {
  if (!server::IsHeaderToken(name)) {
    throw std::invalid_argument("response header name is not an HTTP token");
  }
  if (value.find_first_of(std::string_view("\r\n\0", 3)) != std::string_view::npos) {
    throw std::invalid_argument("response header '" + std::string(name) +
                                "' has CR, LF or NUL in its value");
  }
}

}  // namespace

void Response::Reset(server::FrameWriter* out, size_t max_head_size) {
  out_ = out;
  max_head_size_ = max_head_size;
  status_ = 200;
  n_headers_ = 0;
  head_sent_ = false;
  finished_ = false;
}

void Response::set_status(int status) {
  if (head_sent_) throw std::logic_error("response head already sent");
  // The wire format carries final statuses only (spindle_protocol.h).
  if (status < SPINDLE_STATUS_MIN || status > SPINDLE_STATUS_MAX) {
    throw std::invalid_argument("status " + std::to_string(status) + " outside " +
                                std::to_string(SPINDLE_STATUS_MIN) + ".." +
                                std::to_string(SPINDLE_STATUS_MAX));
  }
  status_ = status;
}

void Response::set_header(std::string_view name, std::string_view value) {
  if (head_sent_) throw std::logic_error("response head already sent");
  CheckField(name, value);
  size_t keep = 0;
  bool replaced = false;
  for (size_t i = 0; i < n_headers_; ++i) {
    if (server::EqualsIgnoreCase(headers_[i].first, name)) {
      if (replaced) continue;
      headers_[i].second.assign(value);
      replaced = true;
    }
    if (keep != i) std::swap(headers_[keep], headers_[i]);
    ++keep;
  }
  n_headers_ = keep;
  if (!replaced) add_header(name, value);
}

void Response::add_header(std::string_view name, std::string_view value) {
  if (head_sent_) throw std::logic_error("response head already sent");
  CheckField(name, value);
  if (n_headers_ == headers_.size()) headers_.emplace_back();
  headers_[n_headers_].first.assign(name);
  headers_[n_headers_].second.assign(value);
  ++n_headers_;
}

void Response::SendHeadIfNeeded() {
  if (head_sent_) return;
  if (out_ == nullptr) throw std::logic_error("response is not attached to a connection");
  // nginx would refuse a head larger than its spindle_buffer_size with a 502
  // that names no cause here; refuse it first, while a 500 can still go out.
  const size_t size = out_->HeadFrameSize(headers_, n_headers_);
  if (size > max_head_size_ || n_headers_ > SPINDLE_MAX_FIELDS) {
    throw std::length_error("response head of " + std::to_string(size) + " bytes in " +
                            std::to_string(n_headers_) +
                            " headers over limits.max_response_head_size " +
                            std::to_string(max_head_size_) + " (or " +
                            std::to_string(SPINDLE_MAX_FIELDS) + " headers)");
  }
  out_->AppendHead(status_, headers_, n_headers_);
  head_sent_ = true;
}

void Response::write(std::string_view chunk) {
  if (finished_) throw std::logic_error("response already finished");
  SendHeadIfNeeded();
  if (!out_->AppendBody(chunk)) throw ClientGone("connection to nginx broke");
}

void Response::flush() {
  if (finished_) return;
  SendHeadIfNeeded();
  if (!out_->Flush()) throw ClientGone("connection to nginx broke");
}

void Response::finish() {
  if (finished_) return;
  SendHeadIfNeeded();
  out_->AppendEnd();
  finished_ = true;
  if (!out_->Flush()) throw ClientGone("connection to nginx broke");
}

void Response::send(int status, std::string_view content_type, std::string_view body) {
  set_status(status);
  if (!content_type.empty()) set_header("Content-Type", content_type);
  char len[24];
  auto [end, ec] = std::to_chars(len, len + sizeof(len), body.size());
  (void)ec;
  set_header("Content-Length", std::string_view(len, static_cast<size_t>(end - len)));
  write(body);
  finish();
}

void Response::redirect(std::string_view location, int status) {
  if (status != 301 && status != 302 && status != 303 && status != 307 && status != 308) {
    throw std::invalid_argument("redirect status must be 301, 302, 303, 307 or 308, not " +
                                std::to_string(status));
  }
  if (location.empty()) throw std::invalid_argument("redirect to an empty location");
  set_header("Location", location);
  std::string body = "see ";
  body.append(location).append("\n");
  send(status, "text/plain; charset=utf-8", body);
}

}  // namespace spindle
