// What the end-to-end tests of destinations share: signetd trusting `signet dev idp`, in
// a temporary directory, run as a user runs them; an
// assertion verified against the JWKS it publishes; its audit trail as an auditor reads
// it (`signet audit list`); and what it wrote to its log and database.
#pragma once

#include <boost/json/object.hpp>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "common/status.h"
#include "jose/jwt.h"
#include "support/signet_processes.h"
#include "support/temp_dir.h"

namespace signet::testing {

class DestinationsHarness {
 public:
  // Starts the dev IdP (a test failure when it does not start).
  DestinationsHarness(std::string signet_path, std::string signetd_path);

  // Where stand-ins may put their files.
  const std::string& dir() const { return dir_.path(); }

  // Starts signetd (issuer http://127.0.0.1:1, trust domain test.signet) trusting the dev
  // IdP for `workloads`, each by the sub system:serviceaccount:apps:<name>, with
  // `destinations_and_policies` (its YAML `destinations:` and `policies:` sections).
  // False, with its log in a test failure, when it does not become ready.
  bool StartSignetd(const std::vector<std::string>& workloads,
                    const std::string& destinations_and_policies);

  const std::string& signetd_url() const { return signetd_->base_url; }

  // A Kubernetes-shaped token of `workload` from the dev IdP.
  std::string SubjectTokenOf(const std::string& workload) const;

  // `jwt` verified with the keys signetd publishes, as issued for `audience`.
  Result<jose::VerifiedJwt> VerifyWithSignetdJwks(const std::string& jwt,
                                                  const std::string& audience) const;

  // The `record` objects of `signet audit list --json`.
  std::vector<boost::json::object> AuditRecords() const;

  // signetd's log and its SQLite database with its WAL, as bytes, for grepping.
  std::string LogAndDatabase() const;

 private:
  const std::string signet_path_;
  const std::string signetd_path_;
  TempDir dir_;
  std::unique_ptr<RunningProcess> idp_;
  std::unique_ptr<RunningProcess> signetd_;
};

// How many of `records` have every (member, string value) of `fields`.
size_t CountRecords(const std::vector<boost::json::object>& records,
                    const std::vector<std::pair<std::string, std::string>>& fields);

}  // namespace signet::testing
