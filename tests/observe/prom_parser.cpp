// prom_parser.cpp: see prom_parser.hpp.
#include "prom_parser.hpp"

#include <cmath>
#include <cstdlib>
#include <set>

namespace spindle::test {
namespace {

bool ValidName(const std::string& s, bool allow_colon) {
  if (s.empty()) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
              (allow_colon && c == ':') || (i > 0 && c >= '0' && c <= '9');
    if (!ok) return false;
  }
  return true;
}

bool EndsWith(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

bool ParseValue(const std::string& s, double* v) {
  if (s == "+Inf") { *v = INFINITY; return true; }
  if (s == "-Inf") { *v = -INFINITY; return true; }
  if (s == "NaN") { *v = NAN; return true; }
  if (s.empty()) return false;
  char* end = nullptr;
  *v = std::strtod(s.c_str(), &end);
  return end == s.c_str() + s.size() && s.find_first_of(" \t") == std::string::npos;
}

// Parses `name{a="x",b="y"} value`; returns an error or "".
std::string ParseSampleLine(const std::string& line, PromSample* out) {
  size_t i = 0;
  while (i < line.size() && line[i] != '{' && line[i] != ' ') ++i;
  out->name = line.substr(0, i);
  if (!ValidName(out->name, true)) return "invalid metric name '" + out->name + "'";
  if (i < line.size() && line[i] == '{') {
    ++i;
    while (i < line.size() && line[i] != '}') {
      size_t eq = line.find('=', i);
      if (eq == std::string::npos) return "label without '='";
      std::string lname = line.substr(i, eq - i);
      if (!ValidName(lname, false) || lname.rfind("__", 0) == 0) return "invalid label name '" + lname + "'";
      if (eq + 1 >= line.size() || line[eq + 1] != '"') return "label value not quoted";
      std::string value;
      size_t j = eq + 2;
      for (;; ++j) {
        if (j >= line.size()) return "unterminated label value";
        char c = line[j];
        if (c == '"') break;
        if (c == '\\') {
          if (++j >= line.size()) return "dangling escape";
          char e = line[j];
          if (e == 'n') value += '\n';
          else if (e == '\\' || e == '"') value += e;
          else return std::string("invalid escape \\") + e;
        } else if (c == '\n') {
          return "raw newline in label value";
        } else {
          value += c;
        }
      }
      if (!out->labels.emplace(lname, value).second) return "duplicate label '" + lname + "'";
      i = j + 1;
      if (i < line.size() && line[i] == ',') ++i;
      else if (i >= line.size() || line[i] != '}') return "expected ',' or '}' after a label";
    }
    if (i >= line.size()) return "unterminated label set";
    ++i;  // '}'
  }
  if (i >= line.size() || line[i] != ' ') return "expected one space before the value";
  std::string rest = line.substr(i + 1);
  size_t sp = rest.find(' ');
  std::string value = rest.substr(0, sp);
  if (sp != std::string::npos) {  // optional integer timestamp
    std::string ts = rest.substr(sp + 1);
    if (ts.empty() || ts.find_first_not_of("-0123456789") != std::string::npos) return "bad timestamp";
  }
  if (!ParseValue(value, &out->value)) return "invalid value '" + value + "'";
  return "";
}

// Which family a sample name belongs to, given the current family.
bool BelongsTo(const PromFamily& f, const std::string& name) {
  if (f.type == "histogram") {
    return name == f.name + "_bucket" || name == f.name + "_sum" || name == f.name + "_count";
  }
  if (f.type == "summary") return name == f.name || name == f.name + "_sum" || name == f.name + "_count";
  return name == f.name;
}

std::string LabelKey(std::map<std::string, std::string> labels, bool drop_le) {
  if (drop_le) labels.erase("le");
  std::string k;
  for (const auto& [n, v] : labels) k += n + "=\"" + v + "\",";
  return k;
}

std::string CheckHistogram(const PromFamily& f) {
  struct Series { std::vector<std::pair<double, double>> buckets; std::optional<double> sum, count; };
  std::map<std::string, Series> series;
  for (const PromSample& s : f.samples) {
    Series& se = series[LabelKey(s.labels, true)];
    if (s.name == f.name + "_bucket") {
      auto le = s.labels.find("le");
      double bound;
      if (le == s.labels.end() || !ParseValue(le->second, &bound)) return f.name + ": bucket without a valid le";
      se.buckets.emplace_back(bound, s.value);
    } else if (s.name == f.name + "_sum") {
      se.sum = s.value;
    } else {
      se.count = s.value;
    }
  }
  for (const auto& [key, se] : series) {
    if (se.buckets.empty() || !se.sum || !se.count) return f.name + "{" + key + "}: missing buckets, _sum or _count";
    for (size_t i = 1; i < se.buckets.size(); ++i) {
      if (!(se.buckets[i].first > se.buckets[i - 1].first)) return f.name + ": le not increasing";
      if (se.buckets[i].second < se.buckets[i - 1].second) return f.name + ": buckets not cumulative";
    }
    if (!std::isinf(se.buckets.back().first)) return f.name + ": last bucket is not le=\"+Inf\"";
    if (se.buckets.back().second != *se.count) return f.name + ": +Inf bucket differs from _count";
  }
  return "";
}

}  // namespace

PromParse ParsePrometheus(const std::string& text) {
  PromParse p;
  std::set<std::string> typed, helped, seen_series;
  PromFamily* current = nullptr;
  size_t pos = 0, lineno = 0;
  if (!text.empty() && text.back() != '\n') {
    p.error = "text does not end in a newline";
    return p;
  }
  auto fail = [&](const std::string& why) {
    p.error = "line " + std::to_string(lineno) + ": " + why;
    return p;
  };
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    std::string line = text.substr(pos, nl - pos);
    pos = nl + 1;
    ++lineno;
    if (line.empty()) continue;
    if (line[0] == '#') {
      if (line.rfind("# TYPE ", 0) == 0 || line.rfind("# HELP ", 0) == 0) {
        bool is_type = line[2] == 'T';
        std::string rest = line.substr(7);
        size_t sp = rest.find(' ');
        if (sp == std::string::npos) return fail("HELP/TYPE without text");
        std::string name = rest.substr(0, sp), arg = rest.substr(sp + 1);
        if (!ValidName(name, true)) return fail("invalid family name '" + name + "'");
        if (!current || current->name != name) {
          for (const PromFamily& f : p.families) {
            if (f.name == name) return fail("family '" + name + "' split in two");
          }
          p.families.push_back({name, "", "", {}});
          current = &p.families.back();
        }
        if (is_type) {
          static const std::set<std::string> kTypes = {"counter", "gauge", "histogram", "summary", "untyped"};
          if (!kTypes.count(arg)) return fail("unknown type '" + arg + "'");
          if (!typed.insert(name).second) return fail("second TYPE for '" + name + "'");
          if (!current->samples.empty()) return fail("TYPE after samples of '" + name + "'");
          if (arg == "counter" && !EndsWith(name, "_total")) return fail("counter '" + name + "' does not end in _total");
          current->type = arg;
        } else {
          if (!helped.insert(name).second) return fail("second HELP for '" + name + "'");
          current->help = arg;
        }
      }
      continue;  // other comments are allowed
    }
    PromSample s;
    if (std::string e = ParseSampleLine(line, &s); !e.empty()) return fail(e);
    if (!current || current->type.empty()) return fail("sample '" + s.name + "' before its TYPE line");
    if (!BelongsTo(*current, s.name)) return fail("sample '" + s.name + "' outside its family (current '" + current->name + "')");
    if (!seen_series.insert(s.name + "{" + LabelKey(s.labels, false) + "}").second) {
      return fail("duplicate series '" + s.name + "'");
    }
    current->samples.push_back(std::move(s));
  }
  for (const PromFamily& f : p.families) {
    if (f.type.empty()) {
      p.error = "family '" + f.name + "' has no TYPE";
      return p;
    }
    if (f.type == "histogram") {
      if (std::string e = CheckHistogram(f); !e.empty()) {
        p.error = e;
        return p;
      }
    }
  }
  return p;
}

std::optional<double> PromParse::Value(const std::string& name,
                                       const std::map<std::string, std::string>& labels) const {
  for (const PromFamily& f : families) {
    for (const PromSample& s : f.samples) {
      if (s.name == name && s.labels == labels) return s.value;
    }
  }
  return std::nullopt;
}

double PromParse::Sum(const std::string& name, const std::map<std::string, std::string>& subset) const {
  double sum = 0;
  for (const PromFamily& f : families) {
    for (const PromSample& s : f.samples) {
      if (s.name != name) continue;
      bool match = true;
      for (const auto& [k, v] : subset) {
        auto it = s.labels.find(k);
        if (it == s.labels.end() || it->second != v) match = false;
      }
      if (match) sum += s.value;
    }
  }
  return sum;
}

const PromFamily* PromParse::Family(const std::string& name) const {
  for (const PromFamily& f : families) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

}  // namespace spindle::test
