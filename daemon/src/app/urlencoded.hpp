// urlencoded.hpp: the incremental application/x-www-form-urlencoded decoder
// behind parse_urlencoded() and read_form() (form.hpp has the rules). Bytes
// go in as they arrive, in pieces of any size (a %-escape may be split
// across pieces); each limit is checked as soon as it is passed, so memory
// never exceeds the limits.
//
// No thread or fiber contract: a plain value; Feed/Finish throw HttpError.
#pragma once

#include <spindle/form.hpp>

#include <cstdint>
#include <string>
#include <string_view>

namespace spindle::app {

class UrlencodedDecoder {
 public:
  explicit UrlencodedDecoder(const FormLimits& limits) : limits_(limits) {}

  // HttpError(413) past a limit, HttpError(400) for a malformed escape.
  void Feed(std::string_view piece);
  // The end of the input: the last field, a dangling '%' is a 400.
  Form Finish();

 private:
  void EndField();
  void Put(char c);
  [[noreturn]] void BadEscape() const;

  FormLimits limits_;
  Form form_;
  std::string name_, value_;
  bool in_value_ = false;
  bool any_ = false;       // the current pair has at least one byte
  int escape_ = 0;         // 0: none, 1: after '%', 2: after '%' and one digit
  int hi_ = 0;             // the first hex digit of an escape
  uint64_t offset_ = 0;    // bytes fed so far
};

}  // namespace spindle::app
