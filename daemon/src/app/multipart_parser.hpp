// multipart_parser.hpp: the push parser under MultipartReader
// (multipart.hpp): multipart/form-data per RFC 2046 §5.1.1 and RFC 7578.
// Bytes go in with Feed() in pieces of any size; Next() returns what they
// complete, one event at a time:
//
//   kPart      a part's headers are complete (head() describes it)
//   kData      content bytes of the current part (`data`)
//   kPartEnd   the delimiter after the current part was seen
//   kEnd       the closing delimiter was seen (the epilogue is ignored)
//   kNeedMore  the piece is consumed: Feed() the next one (or FeedEnd())
//
// A delimiter ("\r\n--" boundary) split across pieces is held back (at most
// its length, as a matched prefix) and given out as data when the next piece
// shows it was not one; nothing else is copied: `data` points into the piece
// fed (or into the parser, for held-back bytes) and is valid until the next
// call. The body may start with the delimiter without the CRLF.
//
// No thread or fiber contract: a plain value. Next() throws HttpError(400)
// for a malformed body and HttpError(413) past max_parts.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace spindle::app {

// The boundary parameter of `content_type` if it is multipart/form-data;
// HttpError(415) for another type, HttpError(400) for a missing or invalid
// boundary (1..70 bchars, not ending in a space).
std::string FormDataBoundary(std::string_view content_type);

struct PartHead {
  std::string name;
  std::optional<std::string> filename;
  std::vector<std::pair<std::string, std::string>> headers;
};

class MultipartParser {
 public:
  enum class Kind { kNeedMore, kPart, kData, kPartEnd, kEnd };
  struct Event {
    Kind kind;
    std::string_view data;  // kData only
  };

  MultipartParser(std::string_view boundary, size_t max_header_size, size_t max_parts);

  // Only when the last event was kNeedMore (or before the first Next()).
  void Feed(std::string_view piece);
  // No more input: a body not closed by then is malformed (400 from Next()).
  void FeedEnd() { at_end_ = true; }
  Event Next();

  // The current part (after kPart).
  const PartHead& head() const { return head_; }
  size_t parts() const { return parts_; }

 private:
  enum class State {
    kPreamble,    // before the first delimiter: bytes discarded
    kBody,        // a part's content
    kAfterDelim,  // right after "--boundary"
    kPadding,     // transport padding (blanks) before the CRLF
    kCloseDash,   // after "--boundary-": the second '-' must follow
    kLineFeed,    // after the CR that ends a delimiter line
    kHeaders,     // a part's header block, up to the empty line
    kEpilogue,    // after the closing delimiter: bytes ignored
  };

  size_t Avail() const { return in_.size() - pos_; }
  // Content (or preamble) bytes up to the next delimiter; sets *found when
  // the delimiter was consumed.
  std::string_view ScanContent(bool* found);
  bool DelimiterTail();  // one byte of kAfterDelim..kLineFeed; true when done
  bool ReadHeaders();    // true when the header block is complete
  void ParseHeaders();
  [[noreturn]] void Malformed(const std::string& what) const;

  std::string delimiter_;  // "\r\n--" + boundary
  size_t max_header_size_;
  size_t max_parts_;
  State state_ = State::kPreamble;
  // Bytes of delimiter_ matched at the end of the previous piece (held back).
  // The body may open with "--boundary": it starts as if after a CRLF.
  size_t match_ = 2;
  std::string_view in_;
  size_t pos_ = 0;
  bool at_end_ = false;
  size_t parts_ = 0;
  std::string header_block_;
  PartHead head_;
};

}  // namespace spindle::app
