#include "support/destination_harness.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <boost/json/serialize.hpp>
#include <fstream>
#include <future>
#include <sstream>

#include "common/base64url.h"
#include "common/clock.h"
#include "common/json.h"
#include "jose/jwk.h"
#include "jose/jwt.h"
#include "support/status_matchers.h"

namespace signet::testing {

std::unique_ptr<DestinationHarness> DestinationHarness::Start(
    const std::string& signet_path, const std::string& signetd_path, const std::string& dir,
    const std::vector<std::string>& workloads, const std::string& rest,
    const std::string& more_issuers, const std::string& more_workloads) {
  std::unique_ptr<DestinationHarness> harness(new DestinationHarness());
  harness->signet_path_ = signet_path;
  harness->dir_ = dir;
  harness->idp_ = StartDevIdp(signet_path, dir + "/idp.log");
  if (harness->idp_->base_url.empty()) {
    ADD_FAILURE() << "signet dev idp did not start";
    return nullptr;
  }
  std::string config = dir + "/signetd.yaml";
  std::ofstream out(config);
  out << "server:\n  issuer: " << kIssuer << "\n  trust_domain: test.signet\n  data_dir: " << dir
      << "/data\nissuers:\n  - name: dev\n    issuer: " << harness->idp_->base_url
      << "\n    audiences: [signet]\n    algorithms: [RS256]\n"
      << more_issuers << "workloads:\n"
      << more_workloads;
  for (const std::string& workload : workloads) {
    out << "  - name: " << workload << "\n"
        << "    identities: [{issuer: dev, claims: {sub: \"system:serviceaccount:apps:" << workload
        << "\"}}]\n";
  }
  out << rest;
  out.close();
  harness->signetd_ = StartSignetd(signetd_path, config, dir + "/signetd.log");
  if (harness->signetd_->base_url.empty()) {
    ADD_FAILURE() << "signetd did not become ready; its log:\n" << ReadFile(dir + "/signetd.log");
    return nullptr;
  }
  return harness;
}

std::string DestinationHarness::AdminToken() const {
  std::string token = ReadFile(dir_ + "/data/admin.token");
  while (!token.empty() && token.back() == '\n') {
    token.pop_back();
  }
  return token;
}

namespace {

// The status and JSON body of `http` (a test failure when the body is not JSON).
std::pair<int, boost::json::object> StatusAndBody(const HttpAnswer& http) {
  auto body = ParseJsonObject(http.body);
  EXPECT_THAT(body, IsOk()) << http.body;
  return {http.status, body.ok() ? *body : boost::json::object{}};
}

}  // namespace

std::string DestinationHarness::SubjectToken(const std::string& workload) const {
  std::string token = MintToken(idp_->base_url, "namespace=apps&serviceaccount=" + workload);
  EXPECT_FALSE(token.empty()) << "the dev IdP minted nothing for " << workload;
  return token;
}

std::pair<int, boost::json::object> DestinationHarness::TokenFor(
    const std::string& workload, const std::string& destination) const {
  std::string upstream = SubjectToken(workload);
  return StatusAndBody(ExchangeToken(base_url(), upstream, "-d audience=" + destination));
}

namespace {

std::string CredentialRequest(const std::string& subject_token, const std::string& destination) {
  return boost::json::serialize(
      boost::json::object{{"destination", destination}, {"subject_token", subject_token}});
}

}  // namespace

std::pair<int, boost::json::object> DestinationHarness::CredentialFor(
    const std::string& workload, const std::string& destination) const {
  std::string upstream = SubjectToken(workload);
  return StatusAndBody(RequestCredential(base_url(), CredentialRequest(upstream, destination)));
}

std::vector<boost::json::object> DestinationHarness::ConcurrentCredentials(
    const std::string& workload, const std::string& destination, int count) const {
  std::string upstream = SubjectToken(workload);
  std::string url = base_url();
  std::string request = CredentialRequest(upstream, destination);
  std::vector<std::future<HttpAnswer>> answers;
  for (int i = 0; i < count; ++i) {
    answers.push_back(std::async(std::launch::async,
                                 [&url, &request] { return RequestCredential(url, request); }));
  }
  std::vector<boost::json::object> bodies;
  for (auto& answer : answers) {
    HttpAnswer http = answer.get();
    auto body = ParseJsonObject(http.body);
    EXPECT_EQ(http.status, 200) << http.body;
    bodies.push_back(body.ok() ? *body : boost::json::object{});
  }
  return bodies;
}

std::set<std::string> DestinationHarness::ConcurrentTokens(const std::string& workload,
                                                           const std::string& destination,
                                                           int count) const {
  std::string upstream = SubjectToken(workload);
  std::string url = base_url();
  std::vector<std::future<HttpAnswer>> answers;
  for (int i = 0; i < count; ++i) {
    answers.push_back(std::async(std::launch::async, [&upstream, &url, &destination] {
      return ExchangeToken(url, upstream, "-d audience=" + destination);
    }));
  }
  std::set<std::string> tokens;
  for (auto& answer : answers) {
    HttpAnswer http = answer.get();
    auto body = ParseJsonObject(http.body);
    EXPECT_EQ(http.status, 200) << http.body;
    if (body.ok() && body->contains("access_token")) {
      tokens.insert(std::string(body->at("access_token").as_string()));
    }
  }
  return tokens;
}

boost::json::object DestinationHarness::VerifiedClaims(const std::string& jwt,
                                                       const std::string& issuer,
                                                       const std::string& audience) const {
  HttpAnswer published = Curl(base_url() + "/.well-known/jwks.json");
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

void DestinationHarness::ExpectSignedAssertion(const std::string& jwt, const std::string& audience,
                                               const std::string& workload) const {
  boost::json::object claims = VerifiedClaims(jwt, kIssuer, audience);
  EXPECT_EQ(claims["sub"], ("spiffe://test.signet/workload/" + workload).c_str());
}

std::string DestinationHarness::Signet(const std::string& args, int* code,
                                       const std::string& stdin_text) const {
  std::string input;
  if (!stdin_text.empty()) {
    std::ofstream(dir_ + "/stdin") << stdin_text;
    input = " < " + dir_ + "/stdin";
  }
  return RunCommand(signet_path_ + " " + args + " --server " + base_url() + " --token-file " +
                        dir_ + "/data/admin.token" + input + " 2>&1",
                    code);
}

bool DestinationHarness::OpensslVerifiesRs256(const std::string& jwt,
                                              const std::string& public_key_pem) const {
  size_t dot = jwt.rfind('.');
  if (dot == std::string::npos) {
    return false;
  }
  auto signature = Base64UrlDecode(jwt.substr(dot + 1));
  if (!signature.ok()) {
    return false;
  }
  std::ofstream(dir_ + "/signing-input") << jwt.substr(0, dot);
  std::ofstream(dir_ + "/signature", std::ios::binary) << *signature;
  int code = -1;
  std::string out = RunCommand("openssl dgst -sha256 -verify " + public_key_pem + " -signature " +
                                   dir_ + "/signature " + dir_ + "/signing-input 2>&1",
                               &code);
  return code == 0 && out.find("Verified OK") != std::string::npos;
}

std::vector<boost::json::object> DestinationHarness::AuditTrail() const {
  int code = -1;
  std::string records = RunCommand(
      signet_path_ + " audit list --limit 1000000 --data-dir " + dir_ + "/data --json", &code);
  EXPECT_EQ(code, 0) << records;
  std::vector<boost::json::object> trail;
  std::istringstream lines(records);
  for (std::string line; std::getline(lines, line);) {
    auto row = ParseJsonObject(line);
    if (row.ok() && row->contains("record") && row->at("record").is_object()) {
      trail.push_back(row->at("record").as_object());
    }
  }
  return trail;
}

size_t DestinationHarness::AuditRecords(const std::string& destination, const std::string& reason,
                                        const std::string& workload) const {
  boost::json::object expected{
      {"destination", destination}, {"reason", reason}, {"workload", workload}};
  std::vector<boost::json::object> trail = AuditTrail();
  return std::count_if(trail.begin(), trail.end(), [&expected](const auto& record) {
    return std::all_of(expected.begin(), expected.end(), [&record](const auto& member) {
      const boost::json::value* found = record.if_contains(member.key());
      return found != nullptr && *found == member.value();
    });
  });
}

void DestinationHarness::ExpectNowhereStored(const std::vector<std::string>& secrets) const {
  std::string log = ReadFile(dir_ + "/signetd.log");
  std::string stored = ReadFile(dir_ + "/data/signet.db") + ReadFile(dir_ + "/data/signet.db-wal");
  ASSERT_FALSE(stored.empty());
  for (const std::string& secret : secrets) {
    EXPECT_EQ(log.find(secret), std::string::npos) << secret;
    EXPECT_EQ(stored.find(secret), std::string::npos) << secret;
  }
}

}  // namespace signet::testing
