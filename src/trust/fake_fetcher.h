// FakeFetcher: a Fetcher for tests that serves canned bodies by URL and counts every
// call, so tests can assert exactly which fetches a token caused. Thread-safe.
#pragma once

#include <map>
#include <mutex>
#include <string>

#include "trust/fetcher.h"

namespace signet::trust {

class FakeFetcher final : public Fetcher {
 public:
  Result<std::string> Get(const std::string& url) override {
    std::lock_guard lock(mu_);
    ++calls_[url];
    auto it = bodies_.find(url);
    if (it == bodies_.end()) {
      return Status(ErrorCode::kTemporarilyUnavailable, "fetch_failed", "GET " + url + " failed");
    }
    return it->second;
  }

  // Serves `body` at `url` from now on.
  void Serve(const std::string& url, std::string body) {
    std::lock_guard lock(mu_);
    bodies_[url] = std::move(body);
  }
  // Fails every GET of `url` from now on.
  void Fail(const std::string& url) {
    std::lock_guard lock(mu_);
    bodies_.erase(url);
  }
  void FailAll() {
    std::lock_guard lock(mu_);
    bodies_.clear();
  }

  int Calls(const std::string& url) const {
    std::lock_guard lock(mu_);
    auto it = calls_.find(url);
    return it == calls_.end() ? 0 : it->second;
  }
  int TotalCalls() const {
    std::lock_guard lock(mu_);
    int total = 0;
    for (const auto& [url, n] : calls_) {
      total += n;
    }
    return total;
  }

 private:
  mutable std::mutex mu_;
  std::map<std::string, std::string> bodies_;
  std::map<std::string, int> calls_;
};

}  // namespace signet::trust
