// What the stand-ins of destinations' token endpoints share: an HTTPS server on a
// loopback port with a certificate made for the test (signetd trusts it through
// ca_file), serving one route, that records each request under the workload it is for
// and answers as the stand-in's wire format says. It checks nothing itself: tests check
// the recorded requests.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "http/server.h"

namespace signet::testing {

class HttpsStandIn {
 public:
  // The workload's SPIFFE id a request is for (the `sub` of the assertion it carries),
  // "" when it names none.
  using SubjectOf = std::function<std::string(const http::Request& request)>;
  // The answer to `request` for `sub`, the stand-in's `n`th request (from 1).
  using Respond =
      std::function<http::Response(const std::string& sub, const http::Request& request, int n)>;

  // Its certificate, for signetd's ca_file.
  const std::string cert;

  // Makes a certificate and key named `name` in `dir` and serves `method` `path`.
  HttpsStandIn(const std::string& dir, const std::string& name, const std::string& method,
               const std::string& path, SubjectOf subject_of, Respond respond);
  ~HttpsStandIn();
  HttpsStandIn(const HttpsStandIn&) = delete;
  HttpsStandIn& operator=(const HttpsStandIn&) = delete;

  // "https://127.0.0.1:<port>".
  std::string url() const;

  // The requests received for `workload` (spiffe://test.signet/workload/<workload>).
  std::vector<http::Request> RequestsFor(const std::string& workload);

 private:
  http::Response Answer(const http::Request& request);

  const SubjectOf subject_of_;
  const Respond respond_;
  std::mutex mu_;
  std::vector<std::pair<std::string, http::Request>> requests_;  // (sub, request)
  std::unique_ptr<http::Server> server_;
  std::thread thread_;
};

// The `sub` of `jwt`, read without verifying it; "" when it has none.
std::string SubjectOfJwt(std::string_view jwt);

}  // namespace signet::testing
