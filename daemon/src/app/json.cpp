// json.cpp: the JSON toolkit: Request::json() (the body as JSON),
// Response::json() (a JSON reply) and HttpError's JSON body.
//
// Fiber contract: Request::json() and Response::json() run in the handler's
// fiber and may suspend reading the body or writing the reply; the rest is
// pure.
#include "app/media_type.hpp"

#include <spindle/errors.hpp>
#include <spindle/request.hpp>
#include <spindle/response.hpp>

#include <nlohmann/json.hpp>

#include <string>

namespace spindle {
namespace {

// Never throws for a string with invalid UTF-8 (it is sent as U+FFFD).
std::string Dump(const nlohmann::json& value) {
  return value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

[[noreturn]] void Fail(int status, std::string error, nlohmann::json extra = nullptr) {
  nlohmann::json body = {{"error", std::move(error)}};
  if (extra.is_object()) body.update(extra);
  throw HttpError(status, std::move(body));
}

bool IsJsonType(const app::MediaType& mt) {
  if (mt.subtype == "json") return mt.type == "application";
  return mt.subtype.size() > 5 && mt.subtype.ends_with("+json");
}

// The deepest array/object nesting of `text`, stopping once past `limit`
// (strings skipped, so brackets inside them do not count).
bool NestedWithin(std::string_view text, size_t limit) {
  size_t depth = 0;
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > limit) return false;
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return true;
}

}  // namespace

HttpError::JsonBody::JsonBody(const nlohmann::json& body)
    : value(std::make_shared<const nlohmann::json>(body)), text(Dump(body)) {}

nlohmann::json Request::json(size_t limit, Deadline deadline) {
  std::optional<std::string_view> ct = header("Content-Type");
  std::optional<app::MediaType> mt;
  if (ct) mt = app::ParseMediaType(*ct);
  if (!mt || !IsJsonType(*mt)) Fail(415, "expected Content-Type application/json");
  std::string body;
  try {
    body = read_all(limit, deadline);
  } catch (const HttpError& e) {
    if (e.status() != 413) throw;
    Fail(413, "request body too large", {{"limit", limit}});
  }
  if (!NestedWithin(body, kMaxJsonDepth)) {
    Fail(400, "malformed JSON", {{"detail", "nested deeper than " +
                                                std::to_string(kMaxJsonDepth) + " levels"}});
  }
  try {
    return nlohmann::json::parse(body);
  } catch (const nlohmann::json::parse_error& e) {
    // what() is "[json.exception.parse_error.101] parse error at ...".
    std::string detail = e.what();
    if (size_t skip = detail.find("] "); skip != std::string::npos) detail.erase(0, skip + 2);
    Fail(400, "malformed JSON", {{"detail", detail}, {"byte", e.byte}});
  }
}

void Response::json(const nlohmann::json& value, int status) {
  send(status, "application/json", Dump(value));
}

}  // namespace spindle
