// What the end-to-end tests of destinations Signet calls out to share: `signet dev idp`
// and `signetd` running as real processes, with a configuration whose workloads the dev
// IdP mints Kubernetes-shaped tokens for, and the checks each such test makes: the
// assertion against signetd's published JWKS, the audit trail as an auditor reads it,
// concurrent requests, and secrets kept out of the log and the database.
#pragma once

#include <boost/json/object.hpp>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "support/signet_processes.h"

namespace signet::testing {

class DestinationHarness {
 public:
  // signetd's issuer URL, the `iss` of what it signs.
  static constexpr char kIssuer[] = "http://127.0.0.1:1";

  // Starts the dev IdP and signetd with a configuration written in `dir`: the server, the
  // dev IdP as issuer `dev`, each of `workloads` identified by the sub
  // system:serviceaccount:apps:<name>, then `rest` (the destinations and policies
  // sections). Fails the test (and returns null) when either does not start.
  // `more_issuers` and `more_workloads` are YAML list items added to those sections.
  static std::unique_ptr<DestinationHarness> Start(
      const std::string& signet_path, const std::string& signetd_path, const std::string& dir,
      const std::vector<std::string>& workloads, const std::string& rest,
      const std::string& more_issuers = "", const std::string& more_workloads = "");

  const std::string& base_url() const { return signetd_->base_url; }
  // signetd's bootstrap admin token, for its admin API.
  std::string AdminToken() const;

  // A token the dev IdP minted for `workload` (sub system:serviceaccount:apps:<workload>).
  std::string SubjectToken(const std::string& workload) const;

  // The status and JSON answer of an RFC 8693 exchange of a token of `workload` for a
  // credential for `destination`.
  std::pair<int, boost::json::object> TokenFor(const std::string& workload,
                                               const std::string& destination) const;

  // The status and JSON answer of POST /v1/credentials with a token of `workload` for
  // `destination` (any credential form: token, headers or aws).
  std::pair<int, boost::json::object> CredentialFor(const std::string& workload,
                                                    const std::string& destination) const;

  // The JSON answers of `count` concurrent POST /v1/credentials with one token of
  // `workload` for `destination` (each expected to succeed).
  std::vector<boost::json::object> ConcurrentCredentials(const std::string& workload,
                                                         const std::string& destination,
                                                         int count) const;

  // The access tokens `count` concurrent exchanges for one token of `workload` got (each
  // expected to succeed).
  std::set<std::string> ConcurrentTokens(const std::string& workload,
                                         const std::string& destination, int count) const;

  // `signet ARGS` against signetd as its administrator (stdin from `stdin_text` when
  // set): stdout and stderr, the exit code in `code`.
  std::string Signet(const std::string& args, int* code, const std::string& stdin_text = "") const;

  // The claims of `jwt` once verified against the JWKS signetd publishes, with `issuer`
  // and `audience` (empty, with a test failure, when it does not verify).
  boost::json::object VerifiedClaims(const std::string& jwt, const std::string& issuer,
                                     const std::string& audience) const;

  // Expects `jwt` to verify against signetd's published JWKS as an assertion for
  // `audience` about `workload`.
  void ExpectSignedAssertion(const std::string& jwt, const std::string& audience,
                             const std::string& workload) const;

  // Whether `openssl dgst` verifies the RS256 signature of the compact JWS `jwt` with the
  // public key in the PEM file `public_key_pem`: a destination's check of a JWT signed
  // with a key of its own, without Signet's code.
  bool OpensslVerifiesRs256(const std::string& jwt, const std::string& public_key_pem) const;

  // How many audit records (`signet audit list --json`) name `destination`, `reason` and
  // `workload`.
  size_t AuditRecords(const std::string& destination, const std::string& reason,
                      const std::string& workload) const;
  // Every record of the audit trail, oldest first, as `signet audit list` reads it.
  std::vector<boost::json::object> AuditTrail() const;

  // Expects none of `secrets` in signetd's log or its database.
  void ExpectNowhereStored(const std::vector<std::string>& secrets) const;

 private:
  DestinationHarness() = default;

  std::string signet_path_;
  std::string dir_;
  std::unique_ptr<RunningProcess> idp_;
  std::unique_ptr<RunningProcess> signetd_;
};

}  // namespace signet::testing
