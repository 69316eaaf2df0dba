#include "support/destinations_harness.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "common/clock.h"
#include "common/json.h"
#include "jose/jwk.h"

namespace signet::testing {

DestinationsHarness::DestinationsHarness(std::string signet_path, std::string signetd_path)
    : signet_path_(std::move(signet_path)), signetd_path_(std::move(signetd_path)) {
  idp_ = StartDevIdp(signet_path_, dir_.File("idp.log"));
  EXPECT_FALSE(idp_->base_url.empty()) << "signet dev idp did not start";
}

bool DestinationsHarness::StartSignetd(const std::vector<std::string>& workloads,
                                       const std::string& destinations_and_policies) {
  std::ofstream out(dir_.File("signetd.yaml"));
  out << "server:\n"
         "  issuer: http://127.0.0.1:1\n"
         "  trust_domain: test.signet\n"
         "  data_dir: "
      << dir_.File("data") << "\n"
      << "issuers:\n"
         "  - name: dev\n"
         "    issuer: "
      << idp_->base_url << "\n    audiences: [signet]\n    algorithms: [RS256]\n"
      << "workloads:\n";
  for (const std::string& workload : workloads) {
    out << "  - name: " << workload << "\n"
        << "    identities: [{issuer: dev, claims: {sub: \"system:serviceaccount:apps:" << workload
        << "\"}}]\n";
  }
  out << destinations_and_policies;
  out.close();
  signetd_ =
      testing::StartSignetd(signetd_path_, dir_.File("signetd.yaml"), dir_.File("signetd.log"));
  EXPECT_FALSE(signetd_->base_url.empty()) << "signetd did not become ready; its log:\n"
                                           << ReadFile(dir_.File("signetd.log"));
  return !signetd_->base_url.empty();
}

std::string DestinationsHarness::SubjectTokenOf(const std::string& workload) const {
  std::string token = MintToken(idp_->base_url, "namespace=apps&serviceaccount=" + workload);
  EXPECT_FALSE(token.empty());
  return token;
}

Result<jose::VerifiedJwt> DestinationsHarness::VerifyWithSignetdJwks(
    const std::string& jwt, const std::string& audience) const {
  HttpAnswer answer = Curl(signetd_url() + "/.well-known/jwks.json");
  EXPECT_EQ(answer.status, 200);
  SIGNET_ASSIGN_OR_RETURN(auto jwks, jose::Jwks::Parse(answer.body));
  SIGNET_ASSIGN_OR_RETURN(auto validator, jose::JwtValidator::Builder()
                                              .ExpectIssuer("http://127.0.0.1:1")
                                              .ExpectAudience(audience)
                                              .AllowAlgorithms({jose::Algorithm::kES256})
                                              .RequireIssuedAt()
                                              .Build());
  return jose::JwtVerifier(validator).Verify(jwt, jwks, Clock::Real().Now());
}

std::vector<boost::json::object> DestinationsHarness::AuditRecords() const {
  int code = -1;
  std::string listing =
      RunCommand(signet_path_ + " audit list --data-dir " + dir_.File("data") + " --json", &code);
  EXPECT_EQ(code, 0) << listing;
  std::vector<boost::json::object> records;
  std::istringstream lines(listing);
  for (std::string line; std::getline(lines, line);) {
    auto row = ParseJsonObject(line);
    if (row.ok() && row->contains("record") && row->at("record").is_object()) {
      records.push_back(row->at("record").as_object());
    }
  }
  return records;
}

std::string DestinationsHarness::LogAndDatabase() const {
  return ReadFile(dir_.File("signetd.log")) + ReadFile(dir_.File("data/signet.db")) +
         ReadFile(dir_.File("data/signet.db-wal"));
}

size_t CountRecords(const std::vector<boost::json::object>& records,
                    const std::vector<std::pair<std::string, std::string>>& fields) {
  return std::count_if(records.begin(), records.end(), [&fields](const boost::json::object& r) {
    return std::all_of(fields.begin(), fields.end(), [&r](const auto& field) {
      const boost::json::value* found = r.if_contains(field.first);
      return found != nullptr && found->is_string() && found->get_string() == field.second;
    });
  });
}

}  // namespace signet::testing
