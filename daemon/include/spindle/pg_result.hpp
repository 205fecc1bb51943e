// Result, Row, Field: the answer to one statement, read with typed
// accessors. A Result owns libpq's PGresult (shared: copies are cheap, Rows
// and Fields are views that need their Result alive).
//
//   auto r = pg.exec("SELECT id, name, born FROM users WHERE id = $1", id);
//   for (const pg::Row& row : r) {
//     int64_t id = row.get<int64_t>(0);
//     std::string name = row.get<std::string>("name");
//     std::optional<pg::Timestamp> born = row["born"].as<std::optional<pg::Timestamp>>();
//   }
//   auto [a, b] = r[0].as<int32_t, std::string>();
//   int64_t n = pg.exec("SELECT count(*) FROM users").value<int64_t>();
//
// Conversions (column types in parentheses): int16_t (int2), int32_t (int2,
// int4), int64_t (int2, int4, int8, oid), double (float4, float8, numeric,
// ints), bool (bool), std::string / std::string_view (any column, its text
// form; the view lives as long as the Result), Bytea (bytea), Timestamp
// (timestamptz, timestamp as UTC), nlohmann::json (json, jsonb).
// std::optional<T> reads NULL as std::nullopt; any other T throws TypeError
// on NULL, on a column of another type, or on a missing row or column.
//
// No thread or fiber contract: plain values (never suspend).
#pragma once

#include <cstddef>
#include <cstdint>
#include <iterator>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>

#include <nlohmann/json.hpp>

#include <spindle/pg_types.hpp>

struct pg_result;  // libpq's PGresult

namespace spindle::pg {

class Result;

namespace detail {
template <class T>
struct IsOptional : std::false_type {};
template <class T>
struct IsOptional<std::optional<T>> : std::true_type {};
}  // namespace detail

class Field {
 public:
  bool is_null() const;
  // The value's text form (empty for NULL; bytea in its \x hex form).
  std::string_view text() const;
  Oid type() const;
  std::string_view name() const;

  template <class T>
  T as() const {
    if constexpr (detail::IsOptional<T>::value) {
      if (is_null()) return std::nullopt;
      return as<typename T::value_type>();
    } else {
      return Convert(static_cast<T*>(nullptr));
    }
  }

 private:
  friend class Row;
  Field(const Result* result, int row, int col) : result_(result), row_(row), col_(col) {}
  [[noreturn]] void Fail(const std::string& why) const;
  void CheckNotNull() const;
  int16_t Convert(int16_t*) const;
  int32_t Convert(int32_t*) const;
  int64_t Convert(int64_t*) const;
  double Convert(double*) const;
  bool Convert(bool*) const;
  std::string Convert(std::string*) const;
  std::string_view Convert(std::string_view*) const;
  Bytea Convert(Bytea*) const;
  Timestamp Convert(Timestamp*) const;
  nlohmann::json Convert(nlohmann::json*) const;

  const Result* result_;
  int row_;
  int col_;
};

class Row {
 public:
  // Throws TypeError when the column is not there.
  Field operator[](size_t col) const;
  Field operator[](std::string_view name) const;
  template <class T>
  T get(size_t col) const { return (*this)[col].template as<T>(); }
  template <class T>
  T get(std::string_view name) const { return (*this)[name].template as<T>(); }
  // The first sizeof...(T) columns, converted.
  template <class... T>
  std::tuple<T...> as() const {
    return AsTuple<T...>(std::index_sequence_for<T...>{});
  }
  size_t size() const;  // columns
  size_t index() const noexcept { return static_cast<size_t>(row_); }

 private:
  friend class Result;
  template <class... T, size_t... I>
  std::tuple<T...> AsTuple(std::index_sequence<I...>) const {
    return std::tuple<T...>{get<T>(I)...};
  }
  Row(const Result* result, int row) : result_(result), row_(row) {}
  const Result* result_;
  int row_;
};

class Result {
 public:
  Result() = default;

  size_t size() const noexcept;  // rows
  bool empty() const noexcept { return size() == 0; }
  size_t columns() const noexcept;
  std::string_view column_name(size_t col) const;
  Oid column_type(size_t col) const;
  // Throws TypeError when no column has that name.
  size_t column_index(std::string_view name) const;
  // Rows an INSERT/UPDATE/DELETE/SELECT... affected or returned (PQcmdTuples).
  uint64_t affected() const;
  // The command tag ("INSERT 0 1", "SELECT 3").
  std::string_view command() const;

  // Throws TypeError when out of range.
  Row operator[](size_t row) const;
  // The first column of the first row: `exec("SELECT count(*) ...").value<int64_t>()`.
  // Throws TypeError when there is no row.
  template <class T>
  T value() const { return (*this)[0].template get<T>(0); }

  class iterator {
   public:
    using iterator_category = std::forward_iterator_tag;
    using value_type = Row;
    using difference_type = std::ptrdiff_t;
    using pointer = void;
    using reference = Row;
    Row operator*() const { return (*r_)[i_]; }
    iterator& operator++() { ++i_; return *this; }
    iterator operator++(int) { iterator t = *this; ++i_; return t; }
    bool operator==(const iterator& o) const { return i_ == o.i_; }
    bool operator!=(const iterator& o) const { return i_ != o.i_; }
   private:
    friend class Result;
    iterator(const Result* r, size_t i) : r_(r), i_(i) {}
    const Result* r_;
    size_t i_;
  };
  iterator begin() const { return iterator(this, 0); }
  iterator end() const { return iterator(this, size()); }

  // The server the answer came from (for messages).
  const std::string& server() const noexcept;

  // For the client: takes ownership of a PGresult.
  Result(pg_result* res, std::shared_ptr<const std::string> server);
  pg_result* raw() const noexcept { return res_.get(); }

 private:
  friend class Field;
  friend class Row;
  std::shared_ptr<pg_result> res_;
  std::shared_ptr<const std::string> server_;
};

}  // namespace spindle::pg
