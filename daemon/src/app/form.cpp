// form.cpp: Form, parse_urlencoded() and read_form() (form.hpp), on the
// incremental decoder of urlencoded.hpp.
// Fiber contract: read_form() may suspend reading the body; the rest is pure.
#include "app/urlencoded.hpp"

#include "app/media_type.hpp"

#include <spindle/errors.hpp>

#include "server/strings.hpp"
#include <spindle/request.hpp>

#include <memory>

namespace spindle {
namespace app {
namespace {

[[noreturn]] void TooLarge(const std::string& what, size_t limit) {
  throw HttpError(413, "form " + what + " over " + std::to_string(limit) + " bytes");
}

}  // namespace

void UrlencodedDecoder::Feed(std::string_view piece) {
  if (piece.size() > limits_.max_body || offset_ > limits_.max_body - piece.size()) {
    TooLarge("body", limits_.max_body);
  }
  for (char c : piece) {
    if (escape_ != 0) {
      int v = server::HexValue(c);
      if (v < 0) BadEscape();
      if (escape_ == 1) {
        hi_ = v;
        escape_ = 2;
      } else {
        escape_ = 0;
        Put(static_cast<char>(hi_ * 16 + v));
      }
    } else if (c == '&') {
      EndField();
    } else if (c == '=' && !in_value_) {
      in_value_ = true;
      any_ = true;
    } else if (c == '%') {
      escape_ = 1;
      any_ = true;
    } else {
      Put(c == '+' ? ' ' : c);
    }
    ++offset_;
  }
}

void UrlencodedDecoder::Put(char c) {
  any_ = true;
  if (in_value_) {
    if (value_.size() == limits_.max_field_size) TooLarge("field value", limits_.max_field_size);
    value_.push_back(c);
  } else {
    if (name_.size() == limits_.max_name_size) TooLarge("field name", limits_.max_name_size);
    name_.push_back(c);
  }
}

void UrlencodedDecoder::EndField() {
  if (escape_ != 0) BadEscape();
  if (any_) {
    if (form_.size() == limits_.max_fields) {
      throw HttpError(413, "form with more than " + std::to_string(limits_.max_fields) +
                               " fields");
    }
    form_.add(std::move(name_), std::move(value_));
  }
  name_.clear();
  value_.clear();
  in_value_ = false;
  any_ = false;
}

void UrlencodedDecoder::BadEscape() const {
  throw HttpError(400, "malformed form body: invalid percent-escape at byte " +
                           std::to_string(offset_));
}

Form UrlencodedDecoder::Finish() {
  EndField();
  return std::move(form_);
}

}  // namespace app

std::optional<std::string> Form::get(std::string_view name) const {
  for (const FormField& f : fields_) {
    if (f.name == name) return f.value;
  }
  return std::nullopt;
}

std::vector<std::string> Form::all(std::string_view name) const {
  std::vector<std::string> out;
  for (const FormField& f : fields_) {
    if (f.name == name) out.push_back(f.value);
  }
  return out;
}

bool Form::contains(std::string_view name) const {
  for (const FormField& f : fields_) {
    if (f.name == name) return true;
  }
  return false;
}

void Form::add(std::string name, std::string value) {
  fields_.push_back(FormField{std::move(name), std::move(value)});
}

Form parse_urlencoded(std::string_view text, const FormLimits& limits) {
  app::UrlencodedDecoder decoder(limits);
  decoder.Feed(text);
  return decoder.Finish();
}

Form read_form(Request& req, const FormLimits& limits, Deadline deadline) {
  std::optional<std::string_view> ct = req.header("Content-Type");
  std::optional<app::MediaType> mt;
  if (ct) mt = app::ParseMediaType(*ct);
  if (!mt || mt->type != "application" || mt->subtype != "x-www-form-urlencoded") {
    throw HttpError(415, "expected Content-Type application/x-www-form-urlencoded");
  }
  if (req.content_length() > 0 &&
      static_cast<uint64_t>(req.content_length()) > limits.max_body) {
    throw HttpError(413, "form body over " + std::to_string(limits.max_body) + " bytes");
  }
  app::UrlencodedDecoder decoder(limits);
  // On the heap: the fiber's stack is small.
  constexpr size_t kPiece = 16 * 1024;
  std::unique_ptr<char[]> buf(new char[kPiece]);
  for (;;) {
    size_t n = req.read_some(buf.get(), kPiece, deadline);
    if (n == 0) break;
    decoder.Feed(std::string_view(buf.get(), n));
  }
  return decoder.Finish();
}

}  // namespace spindle
