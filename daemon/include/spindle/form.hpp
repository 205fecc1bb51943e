// form.hpp: HTML form bodies, application/x-www-form-urlencoded (public app
// API).
//
//   spindle::Form form = spindle::read_form(req);          // 415, 413, 400
//   std::string who = form.get("name").value_or("anonymous");
//   for (const std::string& tag : form.all("tag")) ...
//
// Decoding: '+' is a space and %XX a byte; pairs are split on '&' and an
// empty pair ("a=1&&b=2") is skipped; "a" (no '=') is the name "a" with an
// empty value, "=v" an empty name. A '%' not followed by two hex digits is
// malformed: HttpError(400), never guessed at (browsers always send a '%'
// as "%25", so only a hand-made or hostile client sends one; this differs
// from Request::query(), which keeps such a '%' as it is). Names and values
// are bytes as sent: the form does not check UTF-8 (validate what you show).
//
// Limits (FormLimits) are checked while the body arrives, so a hostile body
// never sits in memory beyond `max_body`: 413 for a body, name or value
// over its limit or too many fields.
//
// Fiber contract: read_form() reads the request body and may suspend (it
// throws ClientGone when the request is cancelled, HttpError(408) when the
// deadline passes); parse_urlencoded() and Form never suspend.
#pragma once

#include <spindle/deadline.hpp>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace spindle {

class Request;

struct FormLimits {
  size_t max_body = 1 << 20;           // encoded bytes of the whole body
  size_t max_fields = 1000;            // name=value pairs
  size_t max_field_size = 64 << 10;    // decoded bytes of one value
  size_t max_name_size = 1 << 10;      // decoded bytes of one name
};

struct FormField {
  std::string name;
  std::string value;
};

// Fields in body order; a name may occur several times (checkboxes,
// multi-selects). Lookup is exact (form names are case-sensitive).
class Form {
 public:
  using const_iterator = std::vector<FormField>::const_iterator;

  // The first value of `name`; nullopt when absent.
  std::optional<std::string> get(std::string_view name) const;
  // Every value of `name`, in order (empty when absent).
  std::vector<std::string> all(std::string_view name) const;
  bool contains(std::string_view name) const;

  size_t size() const { return fields_.size(); }
  bool empty() const { return fields_.empty(); }
  const_iterator begin() const { return fields_.begin(); }
  const_iterator end() const { return fields_.end(); }
  const std::vector<FormField>& fields() const { return fields_; }

  void add(std::string name, std::string value);

 private:
  std::vector<FormField> fields_;
};

// Decodes urlencoded text (a form body, or a query string without its '?').
// Throws HttpError(413) past a limit, HttpError(400) for a bad %-escape.
Form parse_urlencoded(std::string_view text, const FormLimits& limits = {});

// Reads and decodes the request body. HttpError(415) unless Content-Type is
// application/x-www-form-urlencoded (parameters such as charset allowed);
// 413 when Content-Length or the body passes limits.max_body (checked before
// reading, and as it arrives), or a field passes its limit; 400 when
// malformed. Reads in 16 KiB pieces. May suspend.
Form read_form(Request& req, const FormLimits& limits = {},
               Deadline deadline = Deadline::never());

}  // namespace spindle
