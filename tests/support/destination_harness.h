// signetd and the dev IdP for end-to-end tests of destinations Signet calls out to:
// workloads ask signetd's token endpoint for a destination's credential with a
// Kubernetes-shaped token from the dev IdP (sub system:serviceaccount:apps:<workload>),
// and the test reads what signetd published, recorded and logged.
#pragma once

#include <boost/json/object.hpp>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "support/signet_processes.h"
#include "support/temp_dir.h"

namespace signet::testing {

class DestinationHarness {
 public:
  // signetd's issuer: the `iss` of what it signs.
  static constexpr const char* kIssuer = "http://127.0.0.1:1";

  // Starts the dev IdP and signetd with <dir>/signetd.yaml: the server (kIssuer, trust
  // domain test.signet, data in <dir>/data), the dev IdP as issuer "dev", `workloads`,
  // then `destinations_and_policies` as written (YAML from "destinations:" on).
  DestinationHarness(std::string signetd_path, std::string signet_path, std::string dir,
                     const std::vector<std::string>& workloads,
                     const std::string& destinations_and_policies);

  // False (the reason reported to gtest) when a program did not start.
  bool running() const { return running_; }
  const std::string& base_url() const { return signetd_->base_url; }
  const std::string& dir() const { return dir_; }

  // A token of the dev IdP for `workload`.
  std::string UpstreamToken(const std::string& workload) const;

  // `workload` exchanges its token for a credential for `destination`: the HTTP status
  // and the JSON answer.
  std::pair<int, boost::json::object> TokenFor(const std::string& workload,
                                               const std::string& destination) const;

  // `count` such exchanges at once, each expected to succeed: the access tokens given.
  std::set<std::string> TokensAtOnce(const std::string& workload, const std::string& destination,
                                     int count) const;

  // The claims of `jwt` once verified against the JWKS signetd publishes, with `issuer`
  // and `audience` (empty, with a test failure, when it does not verify).
  boost::json::object VerifiedClaims(const std::string& jwt, const std::string& issuer,
                                     const std::string& audience) const;

  // `signet ARGS` against signetd as its administrator (stdin from `stdin_text` when
  // set): stdout and stderr, the exit code in `code`.
  std::string Signet(const std::string& args, int* code, const std::string& stdin_text = "") const;

  // Every audit record, as `signet audit list --json` shows them.
  std::vector<boost::json::object> AuditRecords() const;

  // Those of `needles` found in signetd's log or its database (the audit trail
  // included).
  std::vector<std::string> FoundInLogOrDatabase(const std::vector<std::string>& needles) const;

 private:
  const std::string signetd_path_;
  const std::string signet_path_;
  const std::string dir_;
  std::unique_ptr<RunningProcess> idp_;
  std::unique_ptr<RunningProcess> signetd_;
  bool running_ = false;
};

}  // namespace signet::testing
