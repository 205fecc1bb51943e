// tfb.cpp: the pieces tfb.hpp declares: the `queries` clamping, the random
// ids, the worlds' JSON, the fortunes page and ForEachConcurrently.
//
// Thread/fiber contract: as tfb.hpp says: ForEachConcurrently may suspend
// (it spawns and joins fibers on the caller's scheduler); the rest never
// suspends.
#include "tfb.hpp"

#include <spindle/fiber.hpp>

#include <algorithm>
#include <charconv>
#include <exception>
#include <fstream>
#include <iterator>
#include <sstream>
#include <utility>

namespace techempower {

int ClampQueries(std::optional<std::string_view> raw) {
  if (!raw || raw->empty()) return 1;
  std::string_view s = *raw;
  bool negative = s.front() == '-';
  std::string_view digits = negative ? s.substr(1) : s;
  if (digits.empty() ||
      !std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return 1;  // "foo", "20abc", "+5", " 5", "-"
  }
  if (negative) return 1;
  long long n = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), n);
  if (ec == std::errc::result_out_of_range) return kMaxQueries;  // a huge number: > 500
  (void)end;
  return static_cast<int>(std::clamp<long long>(n, 1, kMaxQueries));
}

Random::Random() : engine_(std::random_device{}()) {}

std::vector<int32_t> Random::Ids(int n) {
  std::vector<int32_t> ids(static_cast<size_t>(n));
  for (int32_t& id : ids) id = Next();
  return ids;
}

std::vector<int32_t> Random::DistinctIds(int n) {
  std::vector<bool> taken(kWorldRows + 1);
  std::vector<int32_t> ids;
  ids.reserve(static_cast<size_t>(n));
  while (ids.size() < static_cast<size_t>(n)) {
    int32_t id = Next();
    if (taken[static_cast<size_t>(id)]) continue;
    taken[static_cast<size_t>(id)] = true;
    ids.push_back(id);
  }
  return ids;
}

nlohmann::json WorldJson(const World& w) {
  return {{"id", w.id}, {"randomNumber", w.random_number}};
}

nlohmann::json WorldsJson(const std::vector<World>& worlds) {
  nlohmann::json out = nlohmann::json::array();
  for (const World& w : worlds) out.push_back(WorldJson(w));
  return out;
}

namespace {

std::string ReadTemplate(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw spindle::TemplateError(file.string(), 0, 0, "cannot read the template");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  // Mustache has no whitespace control: the page is the file's one line,
  // without the newline an editor puts at the end.
  if (!text.empty() && text.back() == '\n') text.pop_back();
  return text;
}

}  // namespace

FortunesPage::FortunesPage(const std::filesystem::path& file)
    : template_(spindle::Template::compile(ReadTemplate(file), file.string())) {}

std::string FortunesPage::Render(std::vector<Fortune> rows) const {
  rows.push_back({0, std::string(kExtraFortune)});
  std::sort(rows.begin(), rows.end(),
            [](const Fortune& a, const Fortune& b) { return a.message < b.message; });
  nlohmann::json list = nlohmann::json::array();
  for (Fortune& f : rows) list.push_back({{"id", f.id}, {"message", std::move(f.message)}});
  return template_.render(nlohmann::json{{"fortunes", std::move(list)}});
}

void FortunesPage::Send(spindle::Response& res, std::vector<Fortune> rows) const {
  res.send(200, "text/html; charset=utf-8", Render(std::move(rows)));
}

namespace {

// Joins every fiber. With `cancel`, or once a join is interrupted because
// the caller was cancelled, cancels those still running first. Returns
// whether the caller was cancelled.
bool JoinAll(std::vector<spindle::Fiber>& fibers, bool cancel) {
  bool caller_cancelled = false;
  for (size_t i = 0; !cancel && i < fibers.size(); ++i) {
    if (fibers[i].join_until(spindle::Deadline::never()) != spindle::WaitStatus::kOk) {
      caller_cancelled = cancel = true;
    }
  }
  if (cancel) {
    for (spindle::Fiber& f : fibers) f.cancel();  // a joined handle ignores it
  }
  for (spindle::Fiber& f : fibers) {
    if (f.joinable()) f.join();
  }
  return caller_cancelled;
}

}  // namespace

void ForEachConcurrently(size_t n, const std::function<void(size_t)>& body) {
  if (n == 0) return;
  std::vector<std::exception_ptr> errors(n);
  std::vector<spindle::Fiber> fibers;
  fibers.reserve(n - 1);
  // The fibers use `body` and `errors`: every one is joined before return,
  // also when spawn itself fails (no stack left: std::bad_alloc). Only
  // std::exception is caught in them: the engine's own unwinding (a fiber
  // destroyed with its scheduler) must pass through.
  try {
    for (size_t i = 1; i < n; ++i) {
      fibers.push_back(spindle::spawn(
          [&body, &errors, i] {
            try {
              body(i);
            } catch (const std::exception&) {
              errors[i] = std::current_exception();
            }
          },
          "tfb query"));
    }
  } catch (const std::exception&) {
    JoinAll(fibers, true);
    throw;
  }
  try {
    body(0);
  } catch (const std::exception&) {
    errors[0] = std::current_exception();
  }
  if (JoinAll(fibers, false) && !errors[0]) throw spindle::Cancelled();
  for (std::exception_ptr& e : errors) {
    if (e) std::rethrow_exception(e);
  }
}

}  // namespace techempower
