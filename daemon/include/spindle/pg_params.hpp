// Query parameters: how exec()/execute() arguments become libpq parameters.
// Each argument is one $n. Numbers, bools, strings, Timestamp and JSON go as
// text and take the type the server infers from the statement (write
// `$1::int8` to force one), so a string from a URL can be compared with an
// integer column; Bytea goes in binary; std::nullopt, nullptr and an empty
// std::optional are NULL.
//
// No thread or fiber contract: plain values, built on the caller's stack for
// the duration of one call.
#pragma once

#include <charconv>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>

#include <nlohmann/json.hpp>

#include <spindle/pg_types.hpp>

namespace spindle::pg {

// One encoded parameter. `value` is NUL-terminated for text (format 0);
// nullptr is SQL NULL.
struct Param {
  const char* value = nullptr;
  int length = 0;
  int format = 0;  // 0 text, 1 binary
  Oid type = 0;    // 0: inferred by the server
  char buf[40];    // numbers are formatted here
  std::string owned;  // text that needed a copy (a string_view, JSON, a time)

  Param() = default;
  Param(const Param&) = delete;
  Param& operator=(const Param&) = delete;
};

namespace detail {
void EncodeText(Param& p, std::string_view text);  // copies (adds the NUL)
void EncodeDouble(Param& p, double v);
void EncodeTimestamp(Param& p, Timestamp t);
void EncodeJson(Param& p, const nlohmann::json& j);
}  // namespace detail

inline void Encode(Param& p, std::nullptr_t) { p.value = nullptr; }
inline void Encode(Param& p, std::nullopt_t) { p.value = nullptr; }
inline void Encode(Param& p, const std::string& s) {
  p.value = s.c_str();
  p.length = static_cast<int>(s.size());
}
inline void Encode(Param& p, const char* s) {
  if (s == nullptr) return Encode(p, nullptr);
  p.value = s;
}
inline void Encode(Param& p, std::string_view s) { detail::EncodeText(p, s); }
inline void Encode(Param& p, bool b) { p.value = b ? "t" : "f"; }
inline void Encode(Param& p, const Bytea& b) {
  p.value = b.data.data();
  p.length = static_cast<int>(b.data.size());
  p.format = 1;
  p.type = oid::kBytea;
}
inline void Encode(Param& p, const nlohmann::json& j) { detail::EncodeJson(p, j); }
template <class D>
void Encode(Param& p, std::chrono::sys_time<D> t) {
  detail::EncodeTimestamp(p, std::chrono::floor<std::chrono::microseconds>(t));
}
template <class T>
  requires(std::is_integral_v<T> && !std::is_same_v<T, bool> && !std::is_same_v<T, char>)
void Encode(Param& p, T v) {
  auto r = std::to_chars(p.buf, p.buf + sizeof(p.buf) - 1, v);
  *r.ptr = '\0';
  p.value = p.buf;
  p.length = static_cast<int>(r.ptr - p.buf);
}
template <class T>
  requires std::is_floating_point_v<T>
void Encode(Param& p, T v) {
  detail::EncodeDouble(p, static_cast<double>(v));
}
template <class T>
void Encode(Param& p, const std::optional<T>& v) {
  if (!v) return Encode(p, nullptr);
  Encode(p, *v);
}

}  // namespace spindle::pg
