// load_client.cpp: see load_client.hpp.
#include "load_client.hpp"

#include "frame_client.hpp"

#include <memory>
#include <sstream>
#include <stdexcept>

namespace spindle::test {

LoadClient::LoadClient(LoadOptions options) : options_(std::move(options)) {}

LoadClient::~LoadClient() { Stop(); }

void LoadClient::Start() {
  for (int i = 0; i < options_.threads; ++i) threads_.emplace_back([this] { Run(); });
}

void LoadClient::Stop() {
  stop_ = true;
  for (auto& t : threads_) t.join();
  threads_.clear();
}

bool LoadClient::WaitForMore(uint64_t n, std::chrono::milliseconds timeout) {
  uint64_t target = ok_.load() + n;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (ok_.load() < target) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return true;
}

std::string LoadClient::Failures() const {
  std::lock_guard lock(mu_);
  std::ostringstream out;
  for (const auto& m : messages_) out << m << "\n";
  return out.str();
}

void LoadClient::Note(const std::string& msg) {
  std::lock_guard lock(mu_);
  if (messages_.size() < 10) messages_.push_back(msg);
}

void LoadClient::Run() {
  while (!stop_) {
    std::unique_ptr<FrameClient> client;
    try {
      client = std::make_unique<FrameClient>(options_.socket_path, options_.timeout);
    } catch (const std::exception& e) {
      ++refused_;
      std::this_thread::sleep_for(options_.pause);
      continue;
    }
    try {
      FrameResponse r = client->Request("GET", options_.uri);
      if (r.status == 200 && r.ended) {
        ++ok_;
      } else {
        ++failed_;
        Note("status " + std::to_string(r.status) + (r.aborted ? " aborted: " + r.abort_reason : ""));
      }
    } catch (const std::exception& e) {
      ++failed_;
      Note(e.what());
    }
    std::this_thread::sleep_for(options_.pause);
  }
}

}  // namespace spindle::test
