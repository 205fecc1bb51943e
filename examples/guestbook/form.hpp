// form.hpp: the guestbook's input side: parsing an
// application/x-www-form-urlencoded body and validating a new entry.
//
// No thread or fiber contract: pure functions on strings.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace guestbook {

inline constexpr size_t kMaxNameChars = 64;
inline constexpr size_t kMaxMessageChars = 1000;

// name=value pairs, percent-decoded ('+' = space), in body order.
std::vector<std::pair<std::string, std::string>> ParseForm(std::string_view body);

struct NewEntry {
  std::string name;
  std::string message;
};

// Validates the form: name 1..64 and message 1..1000 characters after
// trimming, valid UTF-8, no control characters in the name. Returns the
// entry, or sets `error` (a short sentence for a 400 reply).
std::optional<NewEntry> ValidateEntry(
    const std::vector<std::pair<std::string, std::string>>& form, std::string& error);

}  // namespace guestbook
