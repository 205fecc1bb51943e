// media_type.hpp: parsing of the header values the body readers dispatch on:
// a media type with parameters (Content-Type, RFC 9110 §8.3.1) and the
// parameter list of a Content-Disposition (RFC 6266 / RFC 7578 §4.2).
//
// No thread or fiber contract: pure functions.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace spindle::app {

// name (lowercased) and value (unquoted), in header order.
using Parameters = std::vector<std::pair<std::string, std::string>>;

struct MediaType {
  std::string type;     // lowercased, e.g. "multipart"
  std::string subtype;  // lowercased, e.g. "form-data"
  Parameters params;

  // The first parameter called `name` (lowercase), unquoted.
  const std::string* param(std::string_view name) const;
};

// "type/subtype *( OWS ; OWS name=value )" with token or quoted-string
// values; nullopt when malformed (no slash, a non-token, an unterminated
// quote, a parameter without '=').
std::optional<MediaType> ParseMediaType(std::string_view value);

// The parameters after the first ';' of `value`: "token *( OWS ; OWS
// name=value )". Returns the leading token (lowercased) or nullopt when
// malformed; the parameters go to `params`.
std::optional<std::string> ParseDisposition(std::string_view value, Parameters& params);

// A quoted-string's content. Inside the quotes a backslash escapes only '"'
// and '\\' (RFC 9110 allows any byte, but browsers send Windows paths such
// as "C:\dir\a.txt" unescaped, so "\d" stays a backslash and a 'd').
// `in` starts at the opening quote; on success `used` is the length up to
// and including the closing quote.
std::optional<std::string> ReadQuotedString(std::string_view in, size_t& used);

// True for an RFC 9110 token (tchar+).
bool IsToken(std::string_view s);

}  // namespace spindle::app
