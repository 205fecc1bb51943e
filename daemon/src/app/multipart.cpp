// multipart.cpp: MultipartReader, MultipartPart and read_multipart_form()
// (multipart.hpp): the push parser of multipart_parser.hpp driven by the
// request body. One 64 KiB read buffer per reader; a part's content is
// copied once, from that buffer into the caller's.
//
// Fiber contract: the handler's fiber; reading may suspend (see
// multipart.hpp).
#include <spindle/multipart.hpp>

#include "app/multipart_parser.hpp"

#include <spindle/errors.hpp>

#include "server/strings.hpp"
#include <spindle/request.hpp>

#include <cstring>
#include <stdexcept>

namespace spindle {
namespace app {
namespace {

constexpr size_t kReadSize = 64 * 1024;

std::string BoundaryOf(const Request& req) {
  std::optional<std::string_view> ct = req.header("Content-Type");
  if (!ct) throw HttpError(415, "expected Content-Type multipart/form-data");
  return FormDataBoundary(*ct);
}

}  // namespace

class MultipartStream {
 public:
  MultipartStream(Request& req, const MultipartLimits& limits, Deadline deadline)
      : req_(req), limits_(limits), deadline_(deadline),
        parser_(BoundaryOf(req), limits.max_header_size, limits.max_parts),
        buf_(new char[kReadSize]) {
    if (req.content_length() > 0 &&
        static_cast<uint64_t>(req.content_length()) > limits.max_body) {
      TooLargeBody();
    }
  }

  MultipartPart* NextPart();
  size_t Read(MultipartPart& part, void* buf, size_t len);

 private:
  using Kind = MultipartParser::Kind;

  // The parser's next event, reading the body when it needs more.
  MultipartParser::Event Pull();
  [[noreturn]] void TooLargeBody() const {
    throw HttpError(413, "multipart body over " + std::to_string(limits_.max_body) + " bytes");
  }

  Request& req_;
  MultipartLimits limits_;
  Deadline deadline_;
  MultipartParser parser_;
  std::unique_ptr<char[]> buf_;
  std::string_view pending_;  // content of the current part not handed out yet
  bool in_part_ = false;      // the current part's end is not reached
  bool ended_ = false;
  uint64_t body_bytes_ = 0;
  MultipartPart part_;
};

MultipartParser::Event MultipartStream::Pull() {
  for (;;) {
    MultipartParser::Event ev = parser_.Next();
    if (ev.kind != Kind::kNeedMore) return ev;
    const size_t n = req_.read_some(buf_.get(), kReadSize, deadline_);
    if (n == 0) {
      parser_.FeedEnd();
      continue;
    }
    body_bytes_ += n;
    if (body_bytes_ > limits_.max_body) TooLargeBody();
    parser_.Feed(std::string_view(buf_.get(), n));
  }
}

MultipartPart* MultipartStream::NextPart() {
  if (ended_) return nullptr;
  if (in_part_) {  // skip what the handler left unread
    pending_ = {};
    while (Pull().kind != Kind::kPartEnd) {
    }
    in_part_ = false;
  }
  MultipartParser::Event ev = Pull();
  if (ev.kind == Kind::kEnd) {
    ended_ = true;
    return nullptr;
  }
  if (ev.kind != Kind::kPart) throw std::logic_error("multipart parser: content outside a part");
  const PartHead& head = parser_.head();
  part_.stream_ = this;
  part_.name_ = head.name;
  part_.filename_ = head.filename;
  part_.headers_ = head.headers;
  part_.size_ = 0;
  part_.limit_ = part_.is_file() ? limits_.max_file_size : limits_.max_field_size;
  in_part_ = true;
  return &part_;
}

size_t MultipartStream::Read(MultipartPart& part, void* buf, size_t len) {
  if (&part != &part_) throw std::logic_error("MultipartPart used after next_part()");
  if (!in_part_ || len == 0) return 0;
  while (pending_.empty()) {
    MultipartParser::Event ev = Pull();
    if (ev.kind == Kind::kPartEnd) {
      in_part_ = false;
      return 0;
    }
    if (ev.kind != Kind::kData) throw std::logic_error("multipart parser: part without an end");
    pending_ = ev.data;
  }
  const size_t n = std::min(len, pending_.size());
  if (n > part.limit_ - part.size_) {
    throw HttpError(413, std::string("multipart ") + (part.is_file() ? "file" : "field") +
                             " over " + std::to_string(part.limit_) + " bytes");
  }
  std::memcpy(buf, pending_.data(), n);
  pending_.remove_prefix(n);
  part.size_ += n;
  return n;
}

}  // namespace app

std::string_view MultipartPart::content_type() const {
  return header("Content-Type").value_or("text/plain");
}

std::optional<std::string_view> MultipartPart::header(std::string_view name) const {
  for (const auto& [k, v] : headers_) {
    if (server::EqualsIgnoreCase(k, name)) return std::string_view(v);
  }
  return std::nullopt;
}

size_t MultipartPart::read(void* buf, size_t len) {
  if (stream_ == nullptr) return 0;
  return stream_->Read(*this, buf, len);
}

std::string MultipartPart::text() {
  std::string out;
  constexpr size_t kStep = 16 * 1024;
  for (;;) {
    const size_t old = out.size();
    out.resize(old + kStep);
    const size_t n = read(out.data() + old, kStep);
    out.resize(old + n);
    if (n == 0) return out;
  }
}

MultipartReader::MultipartReader(Request& req, const MultipartLimits& limits, Deadline deadline)
    : stream_(std::make_unique<app::MultipartStream>(req, limits, deadline)) {}

MultipartReader::~MultipartReader() = default;

MultipartPart* MultipartReader::next_part() { return stream_->NextPart(); }

Form read_multipart_form(Request& req, const MultipartLimits& limits,
                         const std::function<void(MultipartPart&)>& on_file, Deadline deadline) {
  MultipartReader reader(req, limits, deadline);
  Form form;
  size_t total = 0;
  while (MultipartPart* part = reader.next_part()) {
    if (part->is_file()) {
      if (on_file) on_file(*part);
      continue;
    }
    std::string value = part->text();
    total += value.size();
    if (total > limits.max_form_size) {
      throw HttpError(413, "multipart form fields over " + std::to_string(limits.max_form_size) +
                               " bytes");
    }
    form.add(part->name(), std::move(value));
  }
  return form;
}

}  // namespace spindle
