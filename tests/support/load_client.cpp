// load_client.cpp: see load_client.hpp.
#include "load_client.hpp"

#include "frame_client.hpp"
#include "http_client.hpp"

#include <memory>
#include <sstream>
#include <stdexcept>

namespace spindle::test {

using Clock = std::chrono::steady_clock;

uint64_t LoadCounts::non_2xx() const {
  uint64_t n = 0;
  for (const auto& [status, count] : status) n += count;
  return n;
}

std::string LoadCounts::Summary() const {
  std::ostringstream out;
  out << "sent " << sent << " answered " << answered() << " (2xx " << ok + bad;
  for (const auto& [s, count] : status) out << ", " << s << "x" << count;
  out << ") bad " << bad << " connect-failed " << connect_failed << " reset " << reset
      << " timeout " << timeout << " failed " << failed() << " | max latency";
  for (const auto& [s, us] : max_latency) out << " " << s << ":" << us.count() / 1000 << "ms";
  return out.str();
}

LoadCounts operator-(const LoadCounts& a, const LoadCounts& b) {
  LoadCounts d = a;
  d.sent -= b.sent;
  d.ok -= b.ok;
  d.bad -= b.bad;
  d.connect_failed -= b.connect_failed;
  d.reset -= b.reset;
  d.timeout -= b.timeout;
  for (const auto& [s, count] : b.status) {
    d.status[s] -= count;
    if (d.status[s] == 0) d.status.erase(s);
  }
  // Maxima do not subtract: the difference keeps a's (an upper bound).
  return d;
}

LoadClient::LoadClient(LoadOptions options) : options_(std::move(options)) {}

LoadClient::~LoadClient() { Stop(); }

void LoadClient::Start() {
  stop_ = false;
  for (int i = 0; i < options_.threads; ++i) {
    threads_.emplace_back([this] { options_.http_port != 0 ? RunHttp() : Run(); });
  }
}

void LoadClient::Stop() {
  stop_ = true;
  for (auto& t : threads_) t.join();
  threads_.clear();
}

bool LoadClient::WaitForMore(uint64_t n, std::chrono::milliseconds timeout) {
  uint64_t target = ok_.load() + n;
  auto deadline = Clock::now() + timeout;
  while (ok_.load() < target) {
    if (Clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return true;
}

LoadCounts LoadClient::Counts() const {
  std::lock_guard lock(mu_);
  return counts_;
}

uint64_t LoadClient::in_flight() const {
  std::lock_guard lock(mu_);
  return counts_.sent - counts_.finished();
}

uint64_t LoadClient::refused() const {
  std::lock_guard lock(mu_);
  return counts_.connect_failed;
}

uint64_t LoadClient::failed() const {
  std::lock_guard lock(mu_);
  return counts_.failed() - counts_.connect_failed;
}

std::string LoadClient::Failures() const {
  std::lock_guard lock(mu_);
  std::ostringstream out;
  for (const auto& m : messages_) out << m << "\n";
  return out.str();
}

void LoadClient::Note(const std::string& msg) {
  if (messages_.size() < 10) messages_.push_back(msg);
}

void LoadClient::Answer(int status, Clock::time_point start, bool passed) {
  auto took = std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - start);
  std::lock_guard lock(mu_);
  auto& max = counts_.max_latency[status];
  if (took > max) max = took;
  if (status >= 200 && status < 300) {
    if (passed) {
      ++counts_.ok;
      ++ok_;
    } else {
      ++counts_.bad;
      Note("status " + std::to_string(status) + " failed the check");
    }
  } else {
    ++counts_.status[status];
    Note("status " + std::to_string(status));
  }
}

void LoadClient::Fail(uint64_t LoadCounts::*field, const std::string& msg) {
  std::lock_guard lock(mu_);
  ++(counts_.*field);
  Note(msg);
}

void LoadClient::Run() {
  while (!stop_) {
    {
      std::lock_guard lock(mu_);
      ++counts_.sent;
    }
    Clock::time_point start = Clock::now();
    std::unique_ptr<FrameClient> client;
    try {
      client = std::make_unique<FrameClient>(options_.socket_path, options_.timeout);
    } catch (const std::exception& e) {
      Fail(&LoadCounts::connect_failed, e.what());
      std::this_thread::sleep_for(options_.pause);
      continue;
    }
    try {
      FrameResponse r = client->Request(options_.method, options_.uri, options_.body);
      if (r.aborted || !r.ended) {
        Fail(&LoadCounts::reset, "status " + std::to_string(r.status) + " aborted: " +
                                     r.abort_reason);
      } else {
        Answer(r.status, start, !options_.check || options_.check(r.status, r.body));
      }
    } catch (const std::exception& e) {
      std::string what = e.what();
      bool timed_out = what.find("timed out") != std::string::npos;
      Fail(timed_out ? &LoadCounts::timeout : &LoadCounts::reset, what);
    }
    std::this_thread::sleep_for(options_.pause);
  }
}

void LoadClient::RunHttp() {
  HttpClient client(options_.http_port, "127.0.0.1", options_.timeout);
  HttpRequest req;
  req.method = options_.method;
  req.target = options_.uri;
  req.body = options_.body;
  req.keep_alive = options_.keep_alive;
  while (!stop_) {
    {
      std::lock_guard lock(mu_);
      ++counts_.sent;
    }
    Clock::time_point start = Clock::now();
    try {
      // No retry on a kept-alive connection the server closed: every
      // request sent is counted exactly once.
      if (!client.connected()) client.Connect();
      client.SendRequest(req);
      HttpResponse r = client.ReadResponse(req.method == "HEAD");
      if (!r.complete) {
        Fail(&LoadCounts::reset, "status " + std::to_string(r.status) + " truncated body");
      } else {
        Answer(r.status, start, !options_.check || options_.check(r.status, r.body));
      }
      if (!options_.keep_alive) client.Close();
    } catch (const HttpError& e) {
      client.Close();
      switch (e.kind()) {
        case HttpError::Kind::kConnect: Fail(&LoadCounts::connect_failed, e.what()); break;
        case HttpError::Kind::kClosed: Fail(&LoadCounts::reset, e.what()); break;
        case HttpError::Kind::kTimeout: Fail(&LoadCounts::timeout, e.what()); break;
        case HttpError::Kind::kProtocol: Fail(&LoadCounts::bad, e.what()); break;
      }
    } catch (const std::exception& e) {
      client.Close();
      Fail(&LoadCounts::bad, e.what());
    }
    std::this_thread::sleep_for(options_.pause);
  }
}

}  // namespace spindle::test
