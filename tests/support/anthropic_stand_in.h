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

#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "http/server.h"

namespace signet::testing {

class AnthropicStandIn {
 public:
  // Its certificate, for signetd's ca_file.
  const std::string cert;

  // Makes a certificate and key in `dir` and starts serving on a loopback port.
  explicit AnthropicStandIn(const std::string& dir);
  ~AnthropicStandIn();

  std::string base_url() const;

  // The requests received for `workload` (by the assertion's sub).
  std::vector<http::Request> RequestsFor(const std::string& workload);

 private:
  http::Response Answer(const http::Request& request);

  std::mutex mu_;
  std::vector<std::pair<std::string, http::Request>> requests_;  // (sub, request)
  std::unique_ptr<http::Server> server_;
  std::thread thread_;
};

}  // namespace signet::testing
