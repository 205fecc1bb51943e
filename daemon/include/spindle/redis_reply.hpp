// Reply: one typed Redis reply (nil, integer, string, array, status, error),
// owned and copied out of hiredis, so it may outlive the connection.
//
// No thread or fiber contract: a plain value. Accessors of the wrong type
// throw spindle::redis::ReplyError (so an unexpected error reply surfaces
// with its text, e.g. "WRONGTYPE ...").
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace spindle::redis {

class Reply {
 public:
  enum class Type { kNil, kInteger, kString, kArray, kStatus, kError };

  Reply() = default;  // nil
  static Reply Nil() { return Reply(); }
  static Reply Integer(long long v);
  static Reply String(std::string s);
  static Reply Status(std::string s);
  static Reply Error(std::string s);
  static Reply Array(std::vector<Reply> elements);

  Type type() const noexcept { return type_; }
  bool is_nil() const noexcept { return type_ == Type::kNil; }
  bool is_integer() const noexcept { return type_ == Type::kInteger; }
  bool is_string() const noexcept { return type_ == Type::kString; }
  bool is_array() const noexcept { return type_ == Type::kArray; }
  bool is_status() const noexcept { return type_ == Type::kStatus; }
  bool is_error() const noexcept { return type_ == Type::kError; }

  // Throw ReplyError unless the reply has that type.
  long long integer() const;
  // Bulk string, status or error text (binary-safe).
  const std::string& str() const;
  std::string take_str();  // moves the text out
  const std::vector<Reply>& array() const;
  std::vector<Reply>& array();

  // Array helpers (throw ReplyError unless an array; at() also on range).
  size_t size() const { return array().size(); }
  const Reply& at(size_t i) const;
  const Reply& operator[](size_t i) const { return at(i); }

  // A short human-readable rendering for logs and test failures.
  std::string ToString() const;

  friend bool operator==(const Reply& a, const Reply& b);

 private:
  [[noreturn]] void WrongType(std::string_view wanted) const;

  Type type_ = Type::kNil;
  long long integer_ = 0;
  std::string str_;
  std::vector<Reply> elements_;
};

std::string_view TypeName(Reply::Type type) noexcept;

}  // namespace spindle::redis
