// schema.cpp: conversion of scalars by kind and range, and the error text
// (schema.hpp).
#include "config/schema.hpp"

#include <spindle/units.hpp>

#include <charconv>
#include <sstream>

namespace spindle::config {
namespace {

std::string Quote(const std::string& s) { return "\"" + s + "\""; }

// "min..max", or only the minimum when there is no upper end (UINT64_MAX).
std::string OutOfRange(const std::string& what, const std::string& unit, uint64_t min,
                       uint64_t max) {
  if (max == UINT64_MAX) return what + " is below the minimum " + std::to_string(min) + unit;
  return what + " is outside " + std::to_string(min) + unit + ".." + std::to_string(max) + unit;
}

std::string InRange(uint64_t v, uint64_t min, uint64_t max) {
  return v < min || v > max ? OutOfRange("value " + std::to_string(v), "", min, max) : "";
}

// "journal logfmt json" -> "journal, logfmt, json" (aliases left out).
std::string ListChoices(std::string_view choices) {
  std::string out;
  std::istringstream words{std::string(choices)};
  for (std::string w; words >> w;) {
    if (w.find('=') != std::string::npos) continue;
    out += (out.empty() ? "" : ", ") + w;
  }
  return out;
}

std::string Choose(std::string_view choices, const std::string& text, Value& out) {
  std::istringstream words{std::string(choices)};
  for (std::string w; words >> w;) {
    auto eq = w.find('=');
    if (w.substr(0, eq) == text) {
      out.text = eq == std::string::npos ? w : w.substr(eq + 1);
      return "";
    }
  }
  return "expected one of " + ListChoices(choices) + ", got " + Quote(text);
}

}  // namespace

std::string Error::ToString() const {
  std::ostringstream out;
  if (!file.empty()) {
    out << file;
    if (mark.line > 0) out << ':' << mark.line << ':' << mark.column;
    out << ": ";
  }
  if (!key.empty()) out << "key '" << key << "': ";
  out << message;
  return out.str();
}

std::string JoinKey(const std::string& parent, std::string_view key) {
  return parent.empty() ? std::string(key) : parent + "." + std::string(key);
}

std::string Convert(Kind kind, uint64_t min, uint64_t max, std::string_view choices,
                    const std::string& text, const std::string& base_dir, Value& out) {
  switch (kind) {
    case Kind::kCount: {
      auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out.count);
      if (ec != std::errc() || end != text.data() + text.size() || text.empty()) {
        return "expected a non-negative integer, got " + Quote(text);
      }
      return InRange(out.count, min, max);
    }
    case Kind::kSize: {
      auto v = parse_size(text);
      if (!v) return "expected " + std::string(kSizeForm) + ", got " + Quote(text);
      out.count = *v;
      return InRange(*v, min, max);
    }
    case Kind::kDuration: {
      auto v = parse_duration(text);
      if (!v) return "expected " + std::string(kDurationForm) + ", got " + Quote(text);
      out.duration = *v;
      uint64_t ms = static_cast<uint64_t>(v->count());
      return ms < min || ms > max ? OutOfRange("duration " + Quote(text), "ms", min, max) : "";
    }
    case Kind::kFlag:
      if (text != "true" && text != "false" && text != "on" && text != "off") {
        return "expected true or false, got " + Quote(text);
      }
      out.flag = text == "true" || text == "on";
      return "";
    case Kind::kText:
      if (text.empty()) return "must not be empty";
      out.text = text;
      return "";
    case Kind::kString:
      out.text = text;
      return "";
    case Kind::kPath:
      if (text.empty()) return "must not be empty";
      out.text = text[0] == '/' || base_dir.empty() ? text : base_dir + "/" + text;
      return "";
    case Kind::kChoice:
      return Choose(choices, text, out);
    case Kind::kOctal: {
      unsigned mode = 0;
      auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), mode, 8);
      if (ec != std::errc() || end != text.data() + text.size() || text.empty() ||
          mode > 07777) {
        return "expected an octal mode like \"0660\", got " + Quote(text);
      }
      out.count = mode;
      return "";
    }
    case Kind::kFraction: {
      double d = 0;
      auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), d);
      // Written as "not in 0..1" so that NaN ("nan", which from_chars reads)
      // fails it too.
      if (ec != std::errc() || end != text.data() + text.size() || text.empty() ||
          !(d >= 0 && d <= 1)) {
        return "expected a number in 0..1, got " + Quote(text);
      }
      out.fraction = d;
      return "";
    }
  }
  return "unknown kind";
}

std::string JsonScalarText(const nlohmann::json& value, const std::string& path) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_boolean()) return value.get<bool>() ? "true" : "false";
  if (value.is_number_unsigned()) return std::to_string(value.get<uint64_t>());
  if (value.is_number_integer()) return std::to_string(value.get<int64_t>());
  if (value.is_number()) return value.dump();
  throw ConfigError({"", {}, path, "expected a scalar value, got " + value.dump()});
}

}  // namespace spindle::config
