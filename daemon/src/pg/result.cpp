// Result, Row and Field (see pg_result.hpp): views on a PGresult and the
// conversions from PostgreSQL's text output to C++ values.
#include <spindle/pg_result.hpp>

#include <charconv>
#include <cmath>
#include <cstdlib>

#include <libpq-fe.h>

#include <spindle/pg_errors.hpp>

namespace spindle::pg {
namespace {

const std::string& NoServer() {
  static const std::string s;
  return s;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

template <class T>
bool ParseInt(std::string_view s, T& out) {
  auto r = std::from_chars(s.data(), s.data() + s.size(), out);
  return r.ec == std::errc() && r.ptr == s.data() + s.size();
}

// Digits [a, a+n) as a number; false if any is not a digit.
bool Digits(std::string_view s, size_t a, size_t n, int& out) {
  if (a + n > s.size()) return false;
  out = 0;
  for (size_t i = a; i < a + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    out = out * 10 + (s[i] - '0');
  }
  return true;
}

}  // namespace

// ---- Result ----

Result::Result(pg_result* res, std::shared_ptr<const std::string> server)
    : res_(res, [](pg_result* r) { PQclear(r); }), server_(std::move(server)) {}

size_t Result::size() const noexcept { return res_ ? static_cast<size_t>(PQntuples(res_.get())) : 0; }

size_t Result::columns() const noexcept {
  return res_ ? static_cast<size_t>(PQnfields(res_.get())) : 0;
}

const std::string& Result::server() const noexcept { return server_ ? *server_ : NoServer(); }

std::string_view Result::column_name(size_t col) const {
  if (col >= columns()) throw TypeError(server(), "postgres result: no column " + std::to_string(col));
  return PQfname(res_.get(), static_cast<int>(col));
}

Oid Result::column_type(size_t col) const {
  if (col >= columns()) throw TypeError(server(), "postgres result: no column " + std::to_string(col));
  return PQftype(res_.get(), static_cast<int>(col));
}

size_t Result::column_index(std::string_view name) const {
  for (size_t i = 0; i < columns(); ++i) {
    if (name == PQfname(res_.get(), static_cast<int>(i))) return i;
  }
  throw TypeError(server(), "postgres result: no column '" + std::string(name) + "'");
}

uint64_t Result::affected() const {
  if (!res_) return 0;
  const char* s = PQcmdTuples(res_.get());
  return (s != nullptr && *s != '\0') ? std::strtoull(s, nullptr, 10) : 0;
}

std::string_view Result::command() const {
  if (!res_) return {};
  const char* s = PQcmdStatus(res_.get());
  return s != nullptr ? s : "";
}

Row Result::operator[](size_t row) const {
  if (row >= size()) {
    throw TypeError(server(), "postgres result: no row " + std::to_string(row) + " (it has " +
                                  std::to_string(size()) + ")");
  }
  return Row(this, static_cast<int>(row));
}

// ---- Row ----

Field Row::operator[](size_t col) const {
  if (col >= result_->columns()) {
    throw TypeError(result_->server(), "postgres result: no column " + std::to_string(col) +
                                           " (it has " + std::to_string(result_->columns()) + ")");
  }
  return Field(result_, row_, static_cast<int>(col));
}

Field Row::operator[](std::string_view name) const {
  return Field(result_, row_, static_cast<int>(result_->column_index(name)));
}

size_t Row::size() const { return result_->columns(); }

// ---- Field ----

bool Field::is_null() const { return PQgetisnull(result_->res_.get(), row_, col_) == 1; }

std::string_view Field::text() const {
  return {PQgetvalue(result_->res_.get(), row_, col_),
          static_cast<size_t>(PQgetlength(result_->res_.get(), row_, col_))};
}

Oid Field::type() const { return PQftype(result_->res_.get(), col_); }

std::string_view Field::name() const { return PQfname(result_->res_.get(), col_); }

void Field::Fail(const std::string& why) const {
  throw TypeError(result_->server(), "postgres column '" + std::string(name()) + "' (row " +
                                         std::to_string(row_) + "): " + why);
}

void Field::CheckNotNull() const {
  if (is_null()) Fail("is NULL (read it as std::optional)");
}

int16_t Field::Convert(int16_t*) const {
  CheckNotNull();
  if (type() != oid::kInt2) Fail("not an int2 (type oid " + std::to_string(type()) + ")");
  int16_t v = 0;
  if (!ParseInt(text(), v)) Fail("bad int2 '" + std::string(text()) + "'");
  return v;
}

int32_t Field::Convert(int32_t*) const {
  CheckNotNull();
  const Oid t = type();
  if (t != oid::kInt2 && t != oid::kInt4) {
    Fail("not an int2/int4 (type oid " + std::to_string(t) + ")");
  }
  int32_t v = 0;
  if (!ParseInt(text(), v)) Fail("bad integer '" + std::string(text()) + "'");
  return v;
}

int64_t Field::Convert(int64_t*) const {
  CheckNotNull();
  const Oid t = type();
  if (t != oid::kInt2 && t != oid::kInt4 && t != oid::kInt8 && t != oid::kOid) {
    Fail("not an integer column (type oid " + std::to_string(t) + ")");
  }
  int64_t v = 0;
  if (!ParseInt(text(), v)) Fail("bad integer '" + std::string(text()) + "'");
  return v;
}

double Field::Convert(double*) const {
  CheckNotNull();
  const Oid t = type();
  if (t != oid::kFloat4 && t != oid::kFloat8 && t != oid::kNumeric && t != oid::kInt2 &&
      t != oid::kInt4 && t != oid::kInt8) {
    Fail("not a number column (type oid " + std::to_string(t) + ")");
  }
  const std::string_view s = text();
  if (s == "NaN") return std::nan("");
  if (s == "Infinity") return HUGE_VAL;
  if (s == "-Infinity") return -HUGE_VAL;
  double v = 0;
  auto r = std::from_chars(s.data(), s.data() + s.size(), v);
  if (r.ec != std::errc() || r.ptr != s.data() + s.size()) Fail("bad number '" + std::string(s) + "'");
  return v;
}

bool Field::Convert(bool*) const {
  CheckNotNull();
  if (type() != oid::kBool) Fail("not a bool (type oid " + std::to_string(type()) + ")");
  return text() == "t";
}

std::string Field::Convert(std::string*) const {
  CheckNotNull();
  return std::string(text());
}

std::string_view Field::Convert(std::string_view*) const {
  CheckNotNull();
  return text();
}

Bytea Field::Convert(Bytea*) const {
  CheckNotNull();
  if (type() != oid::kBytea) Fail("not a bytea (type oid " + std::to_string(type()) + ")");
  const std::string_view s = text();
  // bytea_output = hex (the default since 9.0): \x followed by pairs.
  if (s.size() < 2 || s[0] != '\\' || s[1] != 'x' || s.size() % 2 != 0) {
    Fail("bytea not in hex output format (set bytea_output = hex)");
  }
  Bytea out;
  out.data.reserve((s.size() - 2) / 2);
  for (size_t i = 2; i < s.size(); i += 2) {
    const int hi = HexValue(s[i]);
    const int lo = HexValue(s[i + 1]);
    if (hi < 0 || lo < 0) Fail("bad hex in bytea");
    out.data.push_back(static_cast<char>(hi * 16 + lo));
  }
  return out;
}

Timestamp Field::Convert(Timestamp*) const {
  CheckNotNull();
  const Oid t = type();
  if (t != oid::kTimestamptz && t != oid::kTimestamp) {
    Fail("not a timestamp (type oid " + std::to_string(t) + ")");
  }
  // ISO output (the session's DateStyle is ISO): 2024-01-02 03:04:05[.ffffff][+hh[:mm[:ss]]]
  const std::string_view s = text();
  int y, mo, d, h, mi, se;
  if (!Digits(s, 0, 4, y) || s.size() < 19 || s[4] != '-' || !Digits(s, 5, 2, mo) ||
      s[7] != '-' || !Digits(s, 8, 2, d) || s[10] != ' ' || !Digits(s, 11, 2, h) ||
      s[13] != ':' || !Digits(s, 14, 2, mi) || s[16] != ':' || !Digits(s, 17, 2, se)) {
    Fail("unsupported timestamp '" + std::string(s) + "' (infinity, BC or not ISO)");
  }
  size_t i = 19;
  long long us = 0;
  if (i < s.size() && s[i] == '.') {
    ++i;
    int digits = 0;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
      if (digits < 6) {
        us = us * 10 + (s[i] - '0');
        ++digits;
      }
      ++i;
    }
    while (digits++ < 6) us *= 10;
  }
  long long offset = 0;  // seconds east of UTC
  if (i < s.size()) {
    const char sign = s[i];
    int oh = 0, om = 0, os = 0;
    if ((sign != '+' && sign != '-') || !Digits(s, i + 1, 2, oh)) {
      Fail("bad time zone in '" + std::string(s) + "'");
    }
    i += 3;
    if (i < s.size() && s[i] == ':') {
      if (!Digits(s, i + 1, 2, om)) Fail("bad time zone in '" + std::string(s) + "'");
      i += 3;
    }
    if (i < s.size() && s[i] == ':') {
      if (!Digits(s, i + 1, 2, os)) Fail("bad time zone in '" + std::string(s) + "'");
      i += 3;
    }
    if (i != s.size()) Fail("unsupported timestamp '" + std::string(s) + "'");
    offset = (oh * 3600LL + om * 60 + os) * (sign == '-' ? -1 : 1);
  }
  using namespace std::chrono;
  const sys_days day = year_month_day{year{y}, month{static_cast<unsigned>(mo)},
                                      std::chrono::day{static_cast<unsigned>(d)}};
  return Timestamp(duration_cast<microseconds>(day.time_since_epoch()) + hours(h) + minutes(mi) +
                   seconds(se - offset) + microseconds(us));
}

nlohmann::json Field::Convert(nlohmann::json*) const {
  CheckNotNull();
  if (type() != oid::kJson && type() != oid::kJsonb) {
    Fail("not json/jsonb (type oid " + std::to_string(type()) + ")");
  }
  const std::string_view s = text();
  nlohmann::json j = nlohmann::json::parse(s.begin(), s.end(), nullptr, false);
  if (j.is_discarded()) Fail("invalid JSON from the server");
  return j;
}

}  // namespace spindle::pg
