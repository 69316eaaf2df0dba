// A stand-in of GitHub's REST API for App installation tokens:
// POST /app/installations/{installation_id}/access_tokens over HTTPS (a certificate made
// for the test), answering in GitHub's documented wire format. It checks nothing itself
// (not even the App JWT): it records each request for the test to check.
//
// What it answers depends on the installation id:
//   kOk (100)            201 {token, expires_at one hour ahead, permissions,
//                        repository_selection, repositories}; tokens "ghs_standin_<n>_..."
//   kShortLived (101)    the same, expiring 90 s ahead (inside Signet's refresh window)
//   401, 404, 422, 500   that status with GitHub's {message, documentation_url, status};
//                        the message holds kEchoedText, which must never be repeated
//   kRateLimited (403)   403 with x-ratelimit-remaining: 0, as GitHub rate-limits
//   kForbidden (4030)    403 "Resource not accessible by integration"
//   kMalformed (200)     201 without expires_at
#pragma once

#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "http/server.h"
#include "support/https_stand_in.h"

namespace signet::testing {

class GitHubStandIn {
 public:
  static constexpr int kOk = 100;
  static constexpr int kShortLived = 101;
  static constexpr int kRateLimited = 403;
  static constexpr int kForbidden = 4030;
  static constexpr int kMalformed = 200;
  static constexpr const char* kEchoedText = "standin-github-echo";

  explicit GitHubStandIn(const std::string& dir);

  const std::string& cert() const { return server_->cert(); }
  std::string api_url() const { return server_->base_url(); }

  // The requests received for `installation_id`.
  std::vector<http::Request> RequestsFor(int installation_id);

 private:
  http::Response Answer(const http::Request& request);

  std::mutex mu_;
  std::map<int, std::vector<http::Request>> requests_;
  int tokens_ = 0;
  std::unique_ptr<HttpsStandIn> server_;
};

}  // namespace signet::testing
