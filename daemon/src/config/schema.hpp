// schema.hpp: the key tables behind spindled.yaml. Every key of every
// section — the daemon's own, `redis:` and `postgres:` (also the JSON form
// apps pass to redis::Config::FromJson / pg::Config::FromJson) — is one row: name, kind, range, default (as
// docs/config.md and conf/spindled.yaml write it), one line of doc, and the
// setter that stores the converted value. The readers (schema_yaml.hpp for
// the file, ApplyJson below for JSON) check unknown keys, kinds and ranges
// from the row, so a new key is written down once; tests hold the tables
// against the struct defaults, the shipped config and the docs.
//
// Errors are structured (Error: file, line:column, key path, message) and
// thrown as ConfigError, a std::invalid_argument.
// Pure values; no thread or fiber contract.
#pragma once

#include <chrono>
#include <cstdint>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>

#include <nlohmann/json_fwd.hpp>

namespace spindle::config {

// Where a value stands in its file (1-based); 0:0 when it has no file.
struct Mark {
  int line = 0;
  int column = 0;
};

struct Error {
  std::string file;  // "" for JSON handed over by an app
  Mark mark;
  std::string key;  // the key path: "limits.max_headers", "apps[1].config.redis.pool_size"
  std::string message;
  // "file:line:col: key 'k': message" (the parts that are known).
  std::string ToString() const;
};

class ConfigError : public std::invalid_argument {
 public:
  explicit ConfigError(Error e) : std::invalid_argument(e.ToString()), error_(std::move(e)) {}
  const Error& error() const { return error_; }

 private:
  Error error_;
};

enum class Kind {
  kCount,     // a non-negative integer in min..max
  kSize,      // <spindle/units.hpp> size, in min..max bytes
  kDuration,  // <spindle/units.hpp> duration, in min..max milliseconds
  kFlag,      // true/false (on/off)
  kText,      // any non-empty string
  kString,    // any string, "" included (where empty means none: a password)
  kPath,      // a non-empty string; relative paths resolve against the file's dir
  kChoice,    // one word of `choices` ("a b c", "x=y" maps the alias x to y)
  kOctal,     // a file mode like "0660"
  kFraction,  // a number in 0..1
};

// A converted scalar: the member its kind fills.
struct Value {
  uint64_t count = 0;                  // kCount, kSize
  std::chrono::milliseconds duration{0};  // kDuration
  bool flag = false;                   // kFlag
  double fraction = 0;                 // kFraction
  std::string text;                    // kText, kString, kPath, kChoice (canonical word), kOctal
};

// One key of a section whose values land in a T.
template <class T>
struct Key {
  std::string_view name;
  Kind kind;
  std::string_view default_text;  // as the docs and the shipped file write it; "" = none
  std::string_view doc;           // one line
  // Stores v; returns "" or why the value is refused beyond kind and range.
  std::string (*set)(T&, const Value& v);
  uint64_t min = 0;
  uint64_t max = UINT64_MAX;
  std::string_view choices = {};
};

// The table of a section, and the sub-sections its reader handles itself.
template <class T>
struct Section {
  std::span<const Key<T>> keys;
  std::span<const std::string_view> subsections = {};

  const Key<T>* Find(std::string_view name) const {
    for (const Key<T>& k : keys) {
      if (k.name == name) return &k;
    }
    return nullptr;
  }
  bool IsSubsection(std::string_view name) const {
    for (std::string_view s : subsections) {
      if (s == name) return true;
    }
    return false;
  }
};

// Converts `text` by kind and range into `out`; returns "" or why not
// ("expected a duration like 250ms, 10s or 2m, got \"fast\"").
std::string Convert(Kind kind, uint64_t min, uint64_t max, std::string_view choices,
                    const std::string& text, const std::string& base_dir, Value& out);

// "a.b" (or "b" at the top).
std::string JoinKey(const std::string& parent, std::string_view key);

// The scalar text of a JSON value as the YAML reader would see it; throws
// ConfigError (key `path`) for objects and arrays.
std::string JsonScalarText(const nlohmann::json& value, const std::string& path);

// Applies a JSON object's keys to `out` (no file, no marks): unknown keys,
// wrong kinds and ranges throw ConfigError naming path.key.
template <class T>
void ApplyJson(const nlohmann::json& object, const std::string& path, const Section<T>& section,
               T& out);

}  // namespace spindle::config

#include "config/schema_json.inl"
