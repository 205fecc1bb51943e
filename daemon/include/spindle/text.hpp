// text.hpp: small checks on user text that every form handler needs (public
// app API): UTF-8 validity and length in code points, and trimming.
// A form, a query string or a header is bytes as sent; validate what you
// store or show.
//
// No thread or fiber contract: pure functions.
#pragma once

#include <cstddef>
#include <optional>
#include <string_view>

namespace spindle {

// The number of code points in `s`, or nullopt when `s` is not valid UTF-8
// (truncated sequences, overlong forms, surrogates and values past U+10FFFF
// are all invalid).
std::optional<size_t> utf8_length(std::string_view s) noexcept;
inline bool valid_utf8(std::string_view s) noexcept { return utf8_length(s).has_value(); }

// `s` without leading and trailing spaces, tabs, CRs and LFs.
std::string_view trim(std::string_view s) noexcept;

// True when `s` has an ASCII control character (below 0x20, or 0x7f);
// with `allow_newlines`, LF, CR and TAB are allowed.
bool has_control_chars(std::string_view s, bool allow_newlines = false) noexcept;

}  // namespace spindle
