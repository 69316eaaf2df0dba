// A stand-in of AWS STS for tests: the Query API's AssumeRoleWithWebIdentity (POST /,
// form-encoded) over HTTPS with a certificate made for the test (signetd trusts it
// through ca_file), answering with STS's documented XML, errors included.
//
// It checks nothing: it records each request, and answers by the workload the
// WebIdentityToken names (its `sub`, spiffe://test.signet/workload/<name>):
//   refused-app     400 Sender InvalidIdentityToken (with a Message holding
//                   "standin-private-detail", which must never be repeated);
//   throttled-app   400 Sender Throttling;
//   flaky-app       503 Receiver ServiceUnavailable;
//   malformed-app   200 with Credentials lacking its SessionToken;
//   short-app       credentials expiring in 100 s (inside Signet's refresh window);
//   anyone else     credentials ASIASTANDIN<n> / standin-secret-<n> / standin-session-<n>
//                   expiring DurationSeconds from now.
#pragma once

#include <string>
#include <vector>

#include "http/server.h"
#include "support/https_stand_in.h"

namespace signet::testing {

class StsStandIn {
 public:
  // Makes a certificate and key in `dir` and starts serving on a loopback port.
  explicit StsStandIn(const std::string& dir);

  // Its certificate, for signetd's ca_file.
  const std::string& cert() const { return server_.cert(); }
  // The endpoint, for a destination's sts_url.
  std::string url() const { return server_.base_url(); }

  // The requests received for `workload`.
  std::vector<http::Request> RequestsFor(const std::string& workload);

 private:
  http::Router Routes();
  http::Response Answer(const http::Request& request);

  RequestLog requests_;
  HttpsStandIn server_;  // last: serving may start once the rest is ready
};

}  // namespace signet::testing
