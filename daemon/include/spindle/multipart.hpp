// multipart.hpp: multipart/form-data request bodies, file uploads included
// (RFC 7578 on RFC 2046; public app API).
//
//   spindle::MultipartReader mp(req, {.max_file_size = 20 << 20});
//   std::string buf(64 * 1024, '\0');              // on the heap, not the fiber's stack
//   while (spindle::MultipartPart* part = mp.next_part()) {
//     if (part->is_file()) {
//       size_t n;
//       while ((n = part->read(buf.data(), buf.size())) > 0) store(buf.data(), n);
//     } else {
//       std::string value = part->text();           // at most max_field_size
//     }
//   }
//
// The body is parsed as it streams in: memory stays at one 64 KiB read
// buffer and one part's headers whatever the upload size. A part the
// handler does not read is skipped by the next next_part(). The preamble
// and epilogue are ignored; the reader stops at the closing delimiter.
//
// Errors (all HttpError): 415 unless Content-Type is multipart/form-data;
// 400 for a missing or invalid boundary parameter (1..70 characters of
// RFC 2046's bchars), a body that ends before its closing delimiter, a
// delimiter line followed by anything but optional blanks and CRLF,
// malformed or over-long part headers, a part without Content-Disposition
// "form-data" and a name; 413 when the body, the number of parts, a
// field or a file passes its limit.
//
// Fiber contract: next_part(), read() and text() may suspend reading the
// body (ClientGone when the request is cancelled, HttpError(408) when the
// reader's deadline passes). A reader and its parts belong to the handler's
// fiber; a MultipartPart is valid until the next next_part().
#pragma once

#include <spindle/deadline.hpp>
#include <spindle/form.hpp>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace spindle {

class Request;

namespace app {
class MultipartStream;
}  // namespace app

struct MultipartLimits {
  size_t max_body = 100 << 20;        // the whole body (the server's own default)
  size_t max_parts = 1000;
  size_t max_header_size = 8 << 10;   // one part's header block
  size_t max_field_size = 64 << 10;   // a part without a filename
  size_t max_file_size = 100 << 20;   // a part with a filename
  size_t max_form_size = 1 << 20;     // read_multipart_form: all field values together
};

// One part: its headers are read; its content is read with read()/text().
class MultipartPart {
 public:
  // Content-Disposition's name parameter.
  const std::string& name() const { return name_; }
  // Its filename (filename*=UTF-8''... preferred when both are sent), as the
  // client sent it: may be empty, may hold a path; never use it as a path.
  const std::optional<std::string>& filename() const { return filename_; }
  // A part with a filename parameter, even an empty one (a file input with
  // no file chosen).
  bool is_file() const { return filename_.has_value(); }
  // The part's Content-Type; "text/plain" when it has none (RFC 7578 §4.4).
  std::string_view content_type() const;
  // The part's headers in order; lookup is case-insensitive, first match.
  const std::vector<std::pair<std::string, std::string>>& headers() const { return headers_; }
  std::optional<std::string_view> header(std::string_view name) const;

  // Up to `len` bytes of the content; 0 at its end. HttpError(413) once the
  // part passes max_file_size (a file) or max_field_size (a field). May
  // suspend.
  size_t read(void* buf, size_t len);
  // The rest of the content as a string, within the same limits. May suspend.
  std::string text();
  // Content bytes read so far.
  uint64_t size() const { return size_; }

 private:
  friend class app::MultipartStream;

  app::MultipartStream* stream_ = nullptr;
  std::string name_;
  std::optional<std::string> filename_;
  std::vector<std::pair<std::string, std::string>> headers_;
  uint64_t size_ = 0;
  uint64_t limit_ = 0;
};

class MultipartReader {
 public:
  // Checks the Content-Type (415/400 thrown here) and Content-Length (413).
  // `deadline` bounds every body read.
  explicit MultipartReader(Request& req, const MultipartLimits& limits = {},
                           Deadline deadline = Deadline::never());
  ~MultipartReader();
  MultipartReader(const MultipartReader&) = delete;
  MultipartReader& operator=(const MultipartReader&) = delete;

  // The next part, its headers read (the rest of the current part is
  // skipped); nullptr after the closing delimiter. May suspend.
  MultipartPart* next_part();

 private:
  std::unique_ptr<app::MultipartStream> stream_;
};

// The fields of a multipart/form-data body as a Form, in order. Each file
// part is handed to `on_file` (which may read it, or not: the rest is
// skipped); without `on_file` file parts are skipped. HttpError(413) when
// the fields together pass limits.max_form_size. May suspend.
Form read_multipart_form(Request& req, const MultipartLimits& limits = {},
                         const std::function<void(MultipartPart&)>& on_file = {},
                         Deadline deadline = Deadline::never());

}  // namespace spindle
