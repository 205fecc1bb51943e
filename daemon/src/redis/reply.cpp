// Reply: the typed, owned Redis reply (see redis_reply.hpp). Plain values.
#include <spindle/redis_reply.hpp>

#include <spindle/redis_errors.hpp>

namespace spindle::redis {

Reply Reply::Integer(long long v) {
  Reply r;
  r.type_ = Type::kInteger;
  r.integer_ = v;
  return r;
}

Reply Reply::String(std::string s) {
  Reply r;
  r.type_ = Type::kString;
  r.str_ = std::move(s);
  return r;
}

Reply Reply::Status(std::string s) {
  Reply r;
  r.type_ = Type::kStatus;
  r.str_ = std::move(s);
  return r;
}

Reply Reply::Error(std::string s) {
  Reply r;
  r.type_ = Type::kError;
  r.str_ = std::move(s);
  return r;
}

Reply Reply::Array(std::vector<Reply> elements) {
  Reply r;
  r.type_ = Type::kArray;
  r.elements_ = std::move(elements);
  return r;
}

std::string_view TypeName(Reply::Type type) noexcept {
  switch (type) {
    case Reply::Type::kNil: return "nil";
    case Reply::Type::kInteger: return "integer";
    case Reply::Type::kString: return "string";
    case Reply::Type::kArray: return "array";
    case Reply::Type::kStatus: return "status";
    case Reply::Type::kError: return "error";
  }
  return "unknown";
}

void Reply::WrongType(std::string_view wanted) const {
  std::string what = "redis reply is ";
  if (type_ == Type::kError) {
    what += "an error '" + str_ + "'";
  } else {
    what += "of type '" + std::string(TypeName(type_)) + "'";
  }
  what += ", not " + std::string(wanted);
  throw ReplyError("", what);
}

long long Reply::integer() const {
  if (type_ != Type::kInteger) WrongType("an integer");
  return integer_;
}

const std::string& Reply::str() const {
  if (type_ != Type::kString && type_ != Type::kStatus && type_ != Type::kError) {
    WrongType("a string");
  }
  return str_;
}

std::string Reply::take_str() {
  (void)str();
  return std::move(str_);
}

const std::vector<Reply>& Reply::array() const {
  if (type_ != Type::kArray) WrongType("an array");
  return elements_;
}

std::vector<Reply>& Reply::array() {
  if (type_ != Type::kArray) WrongType("an array");
  return elements_;
}

const Reply& Reply::at(size_t i) const {
  const auto& a = array();
  if (i >= a.size()) {
    throw ReplyError("", "redis reply array has " + std::to_string(a.size()) +
                             " elements, no index " + std::to_string(i));
  }
  return a[i];
}

std::string Reply::ToString() const {
  switch (type_) {
    case Type::kNil: return "(nil)";
    case Type::kInteger: return "(integer) " + std::to_string(integer_);
    case Type::kString: {
      std::string s = "\"" + str_.substr(0, 64) + "\"";
      if (str_.size() > 64) s += "... (" + std::to_string(str_.size()) + " bytes)";
      return s;
    }
    case Type::kStatus: return str_;
    case Type::kError: return "(error) " + str_;
    case Type::kArray: {
      std::string s = "[";
      for (size_t i = 0; i < elements_.size(); ++i) {
        if (i) s += ", ";
        s += elements_[i].ToString();
      }
      return s + "]";
    }
  }
  return "?";
}

bool operator==(const Reply& a, const Reply& b) {
  return a.type_ == b.type_ && a.integer_ == b.integer_ && a.str_ == b.str_ &&
         a.elements_ == b.elements_;
}

}  // namespace spindle::redis
