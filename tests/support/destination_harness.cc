#include "support/destination_harness.h"

#include <gtest/gtest.h>

#include <fstream>
#include <future>
#include <sstream>

#include "common/json.h"
#include "jose/jwk.h"
#include "jose/jwt.h"
#include "support/status_matchers.h"
#include "support/subprocess.h"

namespace signet::testing {

DestinationHarness::DestinationHarness(std::string signetd_path, std::string signet_path,
                                       std::string dir, const std::vector<std::string>& workloads,
                                       const std::string& destinations_and_policies)
    : signetd_path_(std::move(signetd_path)),
      signet_path_(std::move(signet_path)),
      dir_(std::move(dir)) {
  idp_ = StartDevIdp(signet_path_, dir_ + "/idp.log");
  if (idp_->base_url.empty()) {
    ADD_FAILURE() << "signet dev idp did not start";
    return;
  }
  std::string config = dir_ + "/signetd.yaml";
  std::ofstream out(config);
  out << "server:\n  issuer: " << kIssuer << "\n  trust_domain: test.signet\n  data_dir: " << dir_
      << "/data\nissuers:\n  - name: dev\n    issuer: " << idp_->base_url
      << "\n    audiences: [signet]\n    algorithms: [RS256]\nworkloads:\n";
  for (const std::string& workload : workloads) {
    out << "  - name: " << workload << "\n"
        << "    identities: [{issuer: dev, claims: {sub: \"system:serviceaccount:apps:" << workload
        << "\"}}]\n";
  }
  out << destinations_and_policies;
  out.close();
  signetd_ = StartSignetd(signetd_path_, config, dir_ + "/signetd.log");
  running_ = !signetd_->base_url.empty();
  if (!running_) {
    ADD_FAILURE() << "signetd did not become ready; its log:\n" << ReadFile(dir_ + "/signetd.log");
  }
}

std::string DestinationHarness::UpstreamToken(const std::string& workload) const {
  std::string token = MintToken(idp_->base_url, "namespace=apps&serviceaccount=" + workload);
  EXPECT_FALSE(token.empty());
  return token;
}

std::pair<int, boost::json::object> DestinationHarness::TokenFor(
    const std::string& workload, const std::string& destination) const {
  HttpAnswer http =
      ExchangeToken(signetd_->base_url, UpstreamToken(workload), "-d audience=" + destination);
  auto body = ParseJsonObject(http.body);
  EXPECT_THAT(body, IsOk()) << http.body;
  return {http.status, body.ok() ? *body : boost::json::object{}};
}

std::set<std::string> DestinationHarness::TokensAtOnce(const std::string& workload,
                                                       const std::string& destination,
                                                       int count) const {
  std::string upstream = UpstreamToken(workload);
  std::vector<std::future<HttpAnswer>> answers;
  for (int i = 0; i < count; ++i) {
    answers.push_back(std::async(std::launch::async, [this, &upstream, &destination] {
      return ExchangeToken(signetd_->base_url, upstream, "-d audience=" + destination);
    }));
  }
  std::set<std::string> tokens;
  for (auto& answer : answers) {
    HttpAnswer http = answer.get();
    auto body = ParseJsonObject(http.body);
    EXPECT_EQ(http.status, 200) << http.body;
    if (http.status == 200 && body.ok() && body->contains("access_token")) {
      tokens.insert(std::string(body->at("access_token").as_string()));
    }
  }
  return tokens;
}

boost::json::object DestinationHarness::VerifiedClaims(const std::string& jwt,
                                                       const std::string& issuer,
                                                       const std::string& audience) const {
  HttpAnswer published = Curl(signetd_->base_url + "/.well-known/jwks.json");
  EXPECT_EQ(published.status, 200);
  auto jwks = jose::Jwks::Parse(published.body);
  auto validator = jose::JwtValidator::Builder()
                       .ExpectIssuer(issuer)
                       .ExpectAudience(audience)
                       .AllowAlgorithms({jose::Algorithm::kES256})
                       .RequireIssuedAt()
                       .Build();
  EXPECT_THAT(jwks, IsOk());
  EXPECT_THAT(validator, IsOk());
  if (!jwks.ok() || !validator.ok()) {
    return {};
  }
  auto verified = jose::JwtVerifier(*validator).Verify(jwt, *jwks, Clock::Real().Now());
  EXPECT_THAT(verified, IsOk()) << jwt;
  if (!verified.ok()) {
    return {};
  }
  EXPECT_TRUE(verified->key_id().has_value());
  EXPECT_TRUE(verified->jwt_id().has_value());
  return verified->claims();
}

std::string DestinationHarness::Signet(const std::string& args, int* code,
                                       const std::string& stdin_text) const {
  std::string input;
  if (!stdin_text.empty()) {
    std::ofstream(dir_ + "/stdin") << stdin_text;
    input = " < " + dir_ + "/stdin";
  }
  return RunCommand(signet_path_ + " " + args + " --server " + signetd_->base_url +
                        " --token-file " + dir_ + "/data/admin.token" + input + " 2>&1",
                    code);
}

std::vector<boost::json::object> DestinationHarness::AuditRecords() const {
  int code = -1;
  std::string listing = RunCommand(
      signet_path_ + " audit list --limit 1000000 --data-dir " + dir_ + "/data --json", &code);
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

std::vector<std::string> DestinationHarness::FoundInLogOrDatabase(
    const std::vector<std::string>& needles) const {
  std::string log = ReadFile(dir_ + "/signetd.log");
  std::string stored = ReadFile(dir_ + "/data/signet.db") + ReadFile(dir_ + "/data/signet.db-wal");
  EXPECT_FALSE(stored.empty());
  std::vector<std::string> found;
  for (const std::string& needle : needles) {
    if (log.find(needle) != std::string::npos || stored.find(needle) != std::string::npos) {
      found.push_back(needle);
    }
  }
  return found;
}

}  // namespace signet::testing
