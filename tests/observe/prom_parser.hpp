// prom_parser.hpp: a small, strict parser of the Prometheus text exposition
// format 0.0.4, for tests. It rejects what a scraper would reject and a bit
// more (our own conventions): every sample line is `name{labels} value`,
// names and label names are valid, label values use only the three escapes,
// every family has its TYPE line before its samples (and at most one HELP and
// TYPE), a family's samples are contiguous, no series repeats, counters end
// in _total, and histogram buckets are cumulative, have increasing `le`, end
// in le="+Inf", and that bucket equals _count (with _sum present).
//
// Thread contract: none (plain functions and values).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace spindle::test {

struct PromSample {
  std::string name;
  std::map<std::string, std::string> labels;
  double value = 0;
};

struct PromFamily {
  std::string name;
  std::string type;  // counter, gauge, histogram, summary, untyped
  std::string help;
  std::vector<PromSample> samples;
};

struct PromParse {
  std::vector<PromFamily> families;
  std::string error;  // empty when the text is valid

  bool ok() const { return error.empty(); }
  // The value of the series `name` with exactly these labels, if present.
  std::optional<double> Value(const std::string& name,
                              const std::map<std::string, std::string>& labels = {}) const;
  // Sum over every series of `name` whose labels include `subset`.
  double Sum(const std::string& name, const std::map<std::string, std::string>& subset = {}) const;
  const PromFamily* Family(const std::string& name) const;
};

PromParse ParsePrometheus(const std::string& text);

}  // namespace spindle::test
