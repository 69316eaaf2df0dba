// A stand-in of Google's token endpoints for tests, over HTTPS with a certificate made
// for the test (signetd trusts it through ca_file):
//   - POST /v1/token: Google's STS, which speaks plain RFC 8693 (form request; answer
//     access_token, issued_token_type, token_type, expires_in; RFC 6749 §5.2 errors), so
//     rfc8693 destinations are tested against it too;
//   - POST /v1/projects/-/serviceAccounts/<email>:generateAccessToken: IAM Credentials
//     ({accessToken, expireTime}; errors {"error": {"code", "message", "status"}}).
// It checks nothing: it records every request for the test to check.
//
// It answers by the workload the subject token names (its `sub`,
// spiffe://test.signet/workload/<name>), on the second hop by the workload whose
// federated token is presented: refused-app is refused (400 invalid_grant), flaky-app
// finds the STS unavailable (503), garbled-app gets a 200 that is no token, short-app
// gets tokens living 90 s (inside signetd's 2-minute refresh window), denied-app is
// denied the service account (403 PERMISSION_DENIED); every other workload gets a fresh
// token, "ya29.standin-<n>", living an hour. Error texts hold "standin-private-detail",
// which must never be repeated.
#pragma once

#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "http/server.h"
#include "support/https_stand_in.h"

namespace signet::testing {

class GcpStandIn {
 public:
  // Makes a certificate and key in `dir` and starts serving on a loopback port.
  explicit GcpStandIn(const std::string& dir);

  // Its certificate, for signetd's ca_file.
  const std::string& cert() const { return server_.cert(); }
  std::string base_url() const { return server_.base_url(); }

  // The requests received for `workload` at `path` ("/v1/token", or the service
  // account's generateAccessToken path).
  std::vector<http::Request> RequestsFor(const std::string& workload, const std::string& path);

 private:
  http::Router Routes();
  http::Response Exchange(const http::Request& request);
  http::Response GenerateAccessToken(const http::Request& request);
  // Records `request` as `workload`'s; returns how many requests came before it.
  int Record(const std::string& workload, const http::Request& request);

  std::mutex mu_;
  std::vector<std::pair<std::string, http::Request>> requests_;  // (workload, request)
  std::vector<std::pair<std::string, std::string>> federated_;   // (token, workload)
  HttpsStandIn server_;  // last: serving may start once the rest is ready
};

}  // namespace signet::testing
