// request.cpp: Request (public app API): query/header/param lookups and the
// body reader. Lookups never suspend; read_some/read_all may (see
// request.hpp).
#include <spindle/cookie.hpp>
#include <spindle/errors.hpp>
#include <spindle/request.hpp>

#include "engine/fiber_deadline.hpp"
#include "server/body_buffer.hpp"
#include "server/strings.hpp"

#include <charconv>

namespace spindle {
namespace {

std::optional<std::string_view> FindField(const std::vector<Field>& fields,
                                          std::string_view name) {
  for (const Field& f : fields) {
    if (server::EqualsIgnoreCase(f.name, name)) return f.value;
  }
  return std::nullopt;
}

}  // namespace

std::string UrlDecode(std::string_view in, bool plus_is_space) {
  std::string out;
  out.reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    if (c == '%' && i + 2 < in.size()) {
      int hi = server::HexValue(in[i + 1]);
      int lo = server::HexValue(in[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out.push_back(static_cast<char>(hi * 16 + lo));
        i += 2;
        continue;
      }
    }
    out.push_back(plus_is_space && c == '+' ? ' ' : c);
  }
  return out;
}

namespace {

// Calls fn(decoded value) for each query parameter called `name` until it
// returns false.
template <class Fn>
void ForEachQueryValue(std::string_view q, std::string_view name, Fn fn) {
  while (!q.empty()) {
    size_t amp = q.find('&');
    std::string_view pair = q.substr(0, amp);
    q = amp == std::string_view::npos ? std::string_view() : q.substr(amp + 1);
    size_t eq = pair.find('=');
    std::string_view key = pair.substr(0, eq);
    std::string_view value =
        eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1);
    bool match = key.find_first_of("%+") == std::string_view::npos
                     ? key == name
                     : UrlDecode(key, true) == name;
    if (match && !fn(UrlDecode(value, true))) return;
  }
}

}  // namespace

std::optional<std::string> Request::query(std::string_view name) const {
  std::optional<std::string> out;
  ForEachQueryValue(query_, name, [&out](std::string v) {
    out = std::move(v);
    return false;
  });
  return out;
}

std::vector<std::string> Request::query_values(std::string_view name) const {
  std::vector<std::string> out;
  ForEachQueryValue(query_, name, [&out](std::string v) {
    out.push_back(std::move(v));
    return true;
  });
  return out;
}

void Request::set_deadline(Deadline deadline) {
  deadline_ = Deadline::earliest(deadline_, deadline);
  engine::SetInheritedDeadline(deadline_);
}

long long Request::query_int(std::string_view name, long long fallback) const {
  auto v = query(name);
  if (!v) return fallback;
  long long n = 0;
  auto [end, ec] = std::from_chars(v->data(), v->data() + v->size(), n);
  if (ec != std::errc() || end != v->data() + v->size()) return fallback;
  return n;
}

std::optional<std::string_view> Request::path_param(std::string_view name) const {
  for (const auto& [k, v] : path_params_) {
    if (k == name) return v;
  }
  return std::nullopt;
}

std::optional<std::string_view> Request::header(std::string_view name) const {
  return FindField(headers_, name);
}

std::vector<std::string_view> Request::header_values(std::string_view name) const {
  std::vector<std::string_view> out;
  for (const Field& f : headers_) {
    if (server::EqualsIgnoreCase(f.name, name)) out.push_back(f.value);
  }
  return out;
}

std::optional<std::string_view> Request::cookie(std::string_view name) const {
  return spindle::cookie(headers_, name);
}

std::optional<std::string_view> Request::param(std::string_view name) const {
  for (const Field& f : params_) {
    if (f.name == name) return f.value;
  }
  return std::nullopt;
}

size_t Request::read_some(void* buf, size_t len, Deadline deadline) {
  if (body_ == nullptr || len == 0) return 0;
  return body_->ReadSome(buf, len, deadline);
}

std::string Request::read_all(size_t limit, Deadline deadline) {
  std::string out;
  if (content_length_ > 0) {
    if (static_cast<uint64_t>(content_length_) > limit) {
      throw HttpError(413, "request body too large");
    }
    out.reserve(static_cast<size_t>(content_length_));
  }
  // Read straight into the result; a stack buffer would eat into the
  // fiber's small stack.
  constexpr size_t kStep = 16 * 1024;
  for (;;) {
    size_t old = out.size();
    out.resize(old + kStep);
    size_t n = read_some(out.data() + old, kStep, deadline);
    out.resize(old + n);
    if (n == 0) return out;
    if (out.size() > limit) throw HttpError(413, "request body too large");
  }
}

}  // namespace spindle
