// A stand-in of Anthropic's token endpoint for tests: POST /v1/oauth/token over HTTPS
// with a certificate made for the test (signetd trusts it through ca_file), answering in
// Anthropic's documented wire format (docs: Workload Identity Federation reference).
//
// It answers by the workload the assertion names (its `sub`,
// spiffe://test.signet/workload/<name>): refused-app is refused (400 invalid_grant, with
// a description that must never be repeated), flaky-app finds the service overloaded
// (529 overloaded_error), every other workload gets a fresh token
// "sk-ant-oat01-standin-<n>" living 600 s with scope workspace:inference.
#pragma once

#include <string>
#include <vector>

#include "http/server.h"
#include "support/https_stand_in.h"

namespace signet::testing {

class AnthropicStandIn {
 public:
  // Makes a certificate and key in `dir` and starts serving on a loopback port.
  explicit AnthropicStandIn(const std::string& dir);

  // Its certificate, for signetd's ca_file.
  const std::string& cert() const { return server_.cert(); }
  std::string base_url() const { return server_.base_url(); }

  // The requests received for `workload` (by the assertion's sub).
  std::vector<http::Request> RequestsFor(const std::string& workload);

 private:
  http::Router Routes();
  http::Response Answer(const http::Request& request);

  RequestLog requests_;
  HttpsStandIn server_;  // last: serving may start once the rest is ready
};

}  // namespace signet::testing
