// hello.cpp: the example app. Routes (relative to the app's mount):
//   GET /hello                  "Hello, World!" (text/plain)
//   GET /sleep?ms=N             sleeps N ms in its fiber, then "slept N ms"
//   GET /stream?chunks=N&ms=M   N chunks, M ms apart, each flushed at once
//                               (X-Accel-Buffering: no, so nginx does not buffer)
//   *   /echo                   JSON: method, raw URI, path, query string,
//                               headers as [name, value] pairs in arrival
//                               order, spindle_param values, body length and
//                               the body's SHA-256 (read incrementally)
// Every handler runs in its own fiber; a cancelled sleep (client gone) is
// logged so tests and operators can see cancellation work.
#include <spindle/app.hpp>

#include <nlohmann/json.hpp>
#include <openssl/evp.h>

#include <algorithm>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

namespace {

constexpr long long kMaxSleepMs = 10 * 60 * 1000;
constexpr long long kMaxChunks = 100000;

void Hello(spindle::Request&, spindle::Response& res) {
  res.send(200, "text/plain", "Hello, World!");
}

void Sleep(spindle::Request& req, spindle::Response& res) {
  long long ms = std::clamp<long long>(req.query_int("ms", 0), 0, kMaxSleepMs);
  auto start = spindle::Clock::now();
  if (spindle::this_fiber::sleep_for(std::chrono::milliseconds(ms)) ==
      spindle::WaitStatus::kCancelled) {
    auto slept = std::chrono::duration_cast<std::chrono::milliseconds>(
        spindle::Clock::now() - start);
    spindle::log::info("hello: sleep cancelled after '", slept.count(), "' of '", ms, "' ms");
    return;
  }
  res.send(200, "text/plain", "slept " + std::to_string(ms) + " ms");
}

void Stream(spindle::Request& req, spindle::Response& res) {
  long long chunks = std::clamp<long long>(req.query_int("chunks", 5), 0, kMaxChunks);
  long long ms = std::clamp<long long>(req.query_int("ms", 100), 0, kMaxSleepMs);
  res.set_header("Content-Type", "text/plain");
  res.set_header("X-Accel-Buffering", "no");
  for (long long i = 0; i < chunks; ++i) {
    res.write("chunk " + std::to_string(i) + "\n");
    res.flush();
    if (i + 1 < chunks && spindle::this_fiber::sleep_for(std::chrono::milliseconds(ms)) ==
                              spindle::WaitStatus::kCancelled) {
      spindle::log::info("hello: stream cancelled after '", i + 1, "' of '", chunks, "' chunks");
      return;
    }
  }
  res.finish();
}

std::string Hex(const unsigned char* p, unsigned n) {
  static const char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(n * 2);
  for (unsigned i = 0; i < n; ++i) {
    out.push_back(kDigits[p[i] >> 4]);
    out.push_back(kDigits[p[i] & 15]);
  }
  return out;
}

void Echo(spindle::Request& req, spindle::Response& res) {
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> md(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  EVP_DigestInit_ex(md.get(), EVP_sha256(), nullptr);
  std::vector<char> buf(64 * 1024);
  uint64_t length = 0;
  for (;;) {
    size_t n = req.read_some(buf.data(), buf.size());
    if (n == 0) break;
    length += n;
    EVP_DigestUpdate(md.get(), buf.data(), n);
  }
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned digest_len = 0;
  EVP_DigestFinal_ex(md.get(), digest, &digest_len);

  nlohmann::json headers = nlohmann::json::array();
  for (const auto& h : req.headers()) headers.push_back({h.name, h.value});
  nlohmann::json params = nlohmann::json::array();
  for (const auto& p : req.params()) params.push_back({p.name, p.value});
  nlohmann::json out = {
      {"method", req.method()},
      {"uri", req.uri()},
      {"path", req.path()},
      {"query", req.query_string()},
      {"headers", std::move(headers)},
      {"params", std::move(params)},
      {"body_length", length},
      {"body_sha256", Hex(digest, digest_len)},
  };
  res.send(200, "application/json", out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n");
}

void Init(spindle::AppContext& app) {
  app.get("/hello", Hello);
  app.get("/sleep", Sleep);
  app.get("/stream", Stream);
  app.any("/echo", Echo);
}

}  // namespace

SPINDLE_APP(Init)
