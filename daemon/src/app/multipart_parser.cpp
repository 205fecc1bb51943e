// multipart_parser.cpp: see multipart_parser.hpp.
// No thread or fiber contract: a plain value.
#include "app/multipart_parser.hpp"

#include "app/media_type.hpp"

#include <spindle/errors.hpp>

#include "server/strings.hpp"

#include <algorithm>
#include <cstring>

namespace spindle::app {
namespace {

bool IsBlank(char c) { return c == ' ' || c == '\t'; }

std::string_view TrimBlanks(std::string_view s) {
  while (!s.empty() && IsBlank(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsBlank(s.back())) s.remove_suffix(1);
  return s;
}

// RFC 2046 §5.1.1: bchars, and no space at the end.
bool IsValidBoundary(std::string_view b) {
  if (b.empty() || b.size() > 70 || b.back() == ' ') return false;
  for (char c : b) {
    const bool alnum = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    if (!alnum && std::string_view("'()+_,-./:=? ").find(c) == std::string_view::npos) return false;
  }
  return true;
}

// RFC 8187 ext-value: charset'language'pct-encoded; UTF-8 and ISO-8859-1
// (the two a recipient must know). nullopt for anything else, so the plain
// filename is used instead.
std::optional<std::string> DecodeExtValue(std::string_view v) {
  size_t q1 = v.find('\'');
  if (q1 == std::string_view::npos) return std::nullopt;
  size_t q2 = v.find('\'', q1 + 1);
  if (q2 == std::string_view::npos) return std::nullopt;
  std::string_view charset = v.substr(0, q1);
  const bool utf8 = server::EqualsIgnoreCase(charset, "utf-8");
  if (!utf8 && !server::EqualsIgnoreCase(charset, "iso-8859-1")) return std::nullopt;
  std::string out;
  for (size_t i = q2 + 1; i < v.size(); ++i) {
    auto c = static_cast<unsigned char>(v[i]);
    if (c == '%') {
      int hi = i + 2 < v.size() ? server::HexValue(v[i + 1]) : -1;
      int lo = hi >= 0 ? server::HexValue(v[i + 2]) : -1;
      if (lo < 0) return std::nullopt;
      c = static_cast<unsigned char>(hi * 16 + lo);
      i += 2;
    }
    if (utf8 || c < 0x80) {
      out.push_back(static_cast<char>(c));
    } else {  // a Latin-1 byte is the code point of the same number
      out.push_back(static_cast<char>(0xc0 | (c >> 6)));
      out.push_back(static_cast<char>(0x80 | (c & 0x3f)));
    }
  }
  return out;
}

const std::string* FindParam(const Parameters& params, std::string_view name) {
  for (const auto& [k, v] : params) {
    if (k == name) return &v;
  }
  return nullptr;
}

}  // namespace

std::string FormDataBoundary(std::string_view content_type) {
  std::optional<MediaType> mt = ParseMediaType(content_type);
  if (!mt) throw HttpError(400, "malformed Content-Type header");
  if (mt->type != "multipart" || mt->subtype != "form-data") {
    throw HttpError(415, "expected Content-Type multipart/form-data");
  }
  const std::string* boundary = mt->param("boundary");
  if (boundary == nullptr) throw HttpError(400, "multipart/form-data without a boundary");
  if (!IsValidBoundary(*boundary)) {
    throw HttpError(400, "invalid multipart boundary (1 to 70 of RFC 2046's bchars)");
  }
  return *boundary;
}

MultipartParser::MultipartParser(std::string_view boundary, size_t max_header_size,
                                 size_t max_parts)
    : delimiter_("\r\n--"), max_header_size_(max_header_size), max_parts_(max_parts) {
  delimiter_.append(boundary);
}

void MultipartParser::Feed(std::string_view piece) {
  in_ = piece;
  pos_ = 0;
}

void MultipartParser::Malformed(const std::string& what) const {
  throw HttpError(400, "malformed multipart body: " + what);
}

MultipartParser::Event MultipartParser::Next() {
  for (;;) {
    if (state_ == State::kEpilogue) {
      pos_ = in_.size();
      return {Kind::kEnd, {}};
    }
    if (Avail() == 0) {
      if (!at_end_) return {Kind::kNeedMore, {}};
      Malformed(state_ == State::kPreamble ? "no delimiter line for its boundary"
                                           : "the body ended before the closing delimiter");
    }
    switch (state_) {
      case State::kPreamble:
      case State::kBody: {
        bool found = false;
        std::string_view data = ScanContent(&found);
        if (found) {
          const bool in_part = state_ == State::kBody;
          state_ = State::kAfterDelim;
          if (in_part) return {Kind::kPartEnd, {}};
        } else if (state_ == State::kBody && !data.empty()) {
          return {Kind::kData, data};
        }
        break;
      }
      case State::kHeaders:
        if (ReadHeaders()) {
          ParseHeaders();
          state_ = State::kBody;
          return {Kind::kPart, {}};
        }
        break;
      default:
        if (DelimiterTail()) return {Kind::kEnd, {}};
        break;
    }
  }
}

std::string_view MultipartParser::ScanContent(bool* found) {
  const size_t len = delimiter_.size();
  if (match_ > 0) {
    // Continue the match held back from the previous piece.
    const size_t n = std::min(len - match_, Avail());
    if (in_.compare(pos_, n, delimiter_, match_, n) == 0) {
      pos_ += n;
      match_ += n;
      if (match_ == len) {
        match_ = 0;
        *found = true;
      }
      return {};
    }
    // Not a delimiter: the held-back bytes were content. No new match can
    // start inside them ('\r' is only the delimiter's first byte).
    const size_t held = match_;
    match_ = 0;
    return std::string_view(delimiter_).substr(0, held);
  }
  const char* start = in_.data() + pos_;
  const size_t avail = Avail();
  if (const void* hit = memmem(start, avail, delimiter_.data(), len)) {
    const size_t at = static_cast<size_t>(static_cast<const char*>(hit) - start);
    if (at > 0) {
      pos_ += at;  // the content first; the delimiter on the next call
      return {start, at};
    }
    pos_ += len;
    *found = true;
    return {};
  }
  // A delimiter may begin in the last len-1 bytes and end in the next piece.
  size_t i = avail > len - 1 ? avail - (len - 1) : 0;
  while (const void* cr = std::memchr(start + i, '\r', avail - i)) {
    i = static_cast<size_t>(static_cast<const char*>(cr) - start);
    if (std::memcmp(start + i, delimiter_.data(), avail - i) == 0) {
      match_ = avail - i;
      break;
    }
    if (++i == avail) break;
  }
  const size_t content = match_ > 0 ? avail - match_ : avail;
  pos_ = in_.size();
  return {start, content};
}

bool MultipartParser::DelimiterTail() {
  const char c = in_[pos_++];
  switch (state_) {
    case State::kAfterDelim:
      if (c == '-') {
        state_ = State::kCloseDash;
        return false;
      }
      [[fallthrough]];
    case State::kPadding:
      if (IsBlank(c)) {
        state_ = State::kPadding;
      } else if (c == '\r') {
        state_ = State::kLineFeed;
      } else {
        Malformed("a delimiter line with more than the boundary on it");
      }
      return false;
    case State::kCloseDash:
      if (c != '-') Malformed("a delimiter line with more than the boundary on it");
      state_ = State::kEpilogue;
      return true;
    case State::kLineFeed:
      if (c != '\n') Malformed("a delimiter line not ended by CRLF");
      if (parts_ == max_parts_) {
        throw HttpError(413, "multipart body with more than " + std::to_string(max_parts_) +
                                 " parts");
      }
      ++parts_;
      header_block_.clear();
      state_ = State::kHeaders;
      return false;
    default:
      return false;
  }
}

bool MultipartParser::ReadHeaders() {
  const size_t old = header_block_.size();
  const size_t take = std::min(Avail(), max_header_size_ - old);
  header_block_.append(in_.substr(pos_, take));
  size_t block_end = std::string::npos;  // bytes of the block, its last CRLF included
  size_t used_end = 0;                   // ... and of the empty line after it
  if (header_block_.size() >= 2 && header_block_.compare(0, 2, "\r\n") == 0) {
    block_end = 0;  // no headers at all: the content starts after this CRLF
    used_end = 2;
  } else {
    size_t at = header_block_.find("\r\n\r\n", old >= 3 ? old - 3 : 0);
    if (at != std::string::npos) {
      block_end = at + 2;
      used_end = at + 4;
    }
  }
  if (block_end == std::string::npos) {
    pos_ += take;
    if (header_block_.size() == max_header_size_) {
      Malformed("part headers over " + std::to_string(max_header_size_) + " bytes");
    }
    return false;
  }
  pos_ += used_end - old;
  header_block_.resize(block_end);
  return true;
}

void MultipartParser::ParseHeaders() {
  head_ = PartHead();
  std::string_view block = header_block_;
  while (!block.empty()) {
    const size_t eol = block.find("\r\n");  // the block ends with one
    std::string_view line = block.substr(0, eol);
    block.remove_prefix(eol + 2);
    if (line.find_first_of(std::string_view("\r\n\0", 3)) != std::string_view::npos) {
      Malformed("a part header with a bare CR, LF or NUL");
    }
    if (IsBlank(line.front())) Malformed("a folded part header line");
    const size_t colon = line.find(':');
    if (colon == std::string_view::npos || !IsToken(line.substr(0, colon))) {
      Malformed("a part header line that is not 'name: value'");
    }
    head_.headers.emplace_back(std::string(line.substr(0, colon)),
                               std::string(TrimBlanks(line.substr(colon + 1))));
  }
  const std::string* disposition = nullptr;
  for (const auto& [k, v] : head_.headers) {
    if (server::EqualsIgnoreCase(k, "content-disposition")) {
      disposition = &v;
      break;
    }
  }
  if (disposition == nullptr) Malformed("a part without Content-Disposition");
  Parameters params;
  std::optional<std::string> type = ParseDisposition(*disposition, params);
  if (!type) Malformed("a malformed Content-Disposition");
  if (*type != "form-data") Malformed("a part whose Content-Disposition is not form-data");
  const std::string* name = FindParam(params, "name");
  if (name == nullptr) Malformed("a part without a name");
  head_.name = *name;
  if (const std::string* ext = FindParam(params, "filename*")) {
    head_.filename = DecodeExtValue(*ext);
  }
  if (!head_.filename) {
    if (const std::string* plain = FindParam(params, "filename")) head_.filename = *plain;
  }
}

}  // namespace spindle::app
