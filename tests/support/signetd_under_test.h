// signetd as destination tests run it: the dev IdP as the workloads' issuer, signetd
// configured for them and the destinations under test, and what a test asks of both
// (a workload's credential, the operator's CLI, the audit trail, the log and database).
#pragma once

#include <boost/json/object.hpp>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "support/signet_processes.h"
#include "support/temp_dir.h"

namespace signet::testing {

class SignetdUnderTest {
 public:
  // Starts the dev IdP and signetd (issuer http://127.0.0.1:1, trust domain test.signet)
  // with `workloads`, each the IdP's service account apps/<name>, and `yaml`: the
  // destinations and policies sections, as written in signetd's configuration. Check
  // ok() before use. The programs are the ones at `signetd_path` and `signet_path`.
  SignetdUnderTest(std::string signetd_path, std::string signet_path,
                   const std::vector<std::string>& workloads, const std::string& yaml);

  bool ok() const { return !signetd_->base_url.empty(); }
  const TempDir& dir() const { return dir_; }
  std::string base_url() const { return signetd_->base_url; }

  // An RFC 8693 exchange of `workload`'s token for `destination` (plus curl `args`).
  HttpAnswer CredentialFor(const std::string& workload, const std::string& destination,
                           const std::string& args = "");

  // The access tokens of `n` exchanges for `workload` sent at once (each must succeed).
  std::set<std::string> ConcurrentAccessTokens(const std::string& workload,
                                               const std::string& destination, int n);

  // `signet ARGS` as the operator, with the bootstrap admin token; `stdin_file` is fed
  // to it when not empty. stdout and stderr together.
  std::string Signet(const std::string& args, int* code, const std::string& stdin_file = "");

  // The audit trail's records (`signet audit list --json`), each as an object.
  std::vector<boost::json::object> AuditRecords();

  // signetd's log and database files, to search for what must never be in them.
  std::string LogAndDatabase() const;

 private:
  const std::string signet_path_;
  TempDir dir_;
  std::unique_ptr<RunningProcess> idp_;
  std::unique_ptr<RunningProcess> signetd_;
};

// Whether `openssl dgst` verifies the RS256 signature of the compact JWS `jwt` with the
// public key in the PEM file `public_key_pem`: a destination's check, without Signet's
// code. Scratch files go to `dir`.
bool OpensslVerifiesRs256(const std::string& jwt, const std::string& public_key_pem,
                          const TempDir& dir);

// Whether the audit `record` has the string `value` at `member`.
bool RecordHas(const boost::json::object& record, const char* member, std::string_view value);

}  // namespace signet::testing
