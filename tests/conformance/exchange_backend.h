// The §17 negative suite over HTTP: presents each subject token to a real signetd's
// token endpoint and reads the decision back from its audit trail, so the suite's
// assertions on reasons hold end to end (negative_suite_test.cc, built a second time
// with SIGNET_NEGATIVE_SUITE_OVER_HTTP).
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "common/status.h"
#include "support/signet_processes.h"

namespace signet::testing {

class ExchangeBackend {
 public:
  struct Issuer {
    std::string url;         // the `iss` the tokens carry
    std::string jwks_json;   // its keys, given to signetd inline (nothing is fetched)
    std::string algorithms;  // YAML list, e.g. "[ES256, RS256]"
    int64_t leeway_seconds = 30;
    int64_t max_lifetime_seconds = 86400;
    std::string subject;  // the `sub` of the suite's good tokens
    std::string audience;
  };

  // Starts signetd (and fails the test if it does not start).
  explicit ExchangeBackend(const Issuer& issuer);

  // Exchanges `token`. OK when signetd answered 200. Otherwise checks what every
  // refusal must look like (HTTP 400 invalid_request, a description that does not echo
  // the token, exactly one `deny` audit record for the request) and returns the audit
  // record's reason and detail as the Status, for the suite's FailsWith assertions.
  Status Present(std::string_view token);

 private:
  TempDir dir_;
  std::unique_ptr<RunningProcess> signetd_;
};

}  // namespace signet::testing
