#include "support/signetd_under_test.h"

#include <gtest/gtest.h>

#include <fstream>
#include <future>
#include <sstream>

#include "common/base64url.h"
#include "common/json.h"

namespace signet::testing {

SignetdUnderTest::SignetdUnderTest(std::string signetd_path, std::string signet_path,
                                   const std::vector<std::string>& workloads,
                                   const std::string& yaml)
    : signet_path_(std::move(signet_path)) {
  idp_ = StartDevIdp(signet_path_, dir_.File("idp.log"));
  EXPECT_FALSE(idp_->base_url.empty()) << "signet dev idp did not start";
  std::ofstream out(dir_.File("signetd.yaml"));
  out << "server:\n  issuer: http://127.0.0.1:1\n  trust_domain: test.signet\n  data_dir: "
      << dir_.File("data") << "\nissuers:\n  - name: dev\n    issuer: " << idp_->base_url
      << "\n    audiences: [signet]\n    algorithms: [RS256]\nworkloads:\n";
  for (const std::string& workload : workloads) {
    out << "  - name: " << workload << "\n"
        << "    identities: [{issuer: dev, claims: {sub: \"system:serviceaccount:apps:" << workload
        << "\"}}]\n";
  }
  out << yaml;
  out.close();
  signetd_ = StartSignetd(signetd_path, dir_.File("signetd.yaml"), dir_.File("signetd.log"));
  EXPECT_TRUE(ok()) << "signetd did not become ready; its log:\n"
                    << ReadFile(dir_.File("signetd.log"));
}

HttpAnswer SignetdUnderTest::CredentialFor(const std::string& workload,
                                           const std::string& destination,
                                           const std::string& args) {
  std::string upstream = MintToken(idp_->base_url, "namespace=apps&serviceaccount=" + workload);
  EXPECT_FALSE(upstream.empty());
  return ExchangeToken(signetd_->base_url, upstream, "-d audience=" + destination + " " + args);
}

std::set<std::string> SignetdUnderTest::ConcurrentAccessTokens(const std::string& workload,
                                                               const std::string& destination,
                                                               int n) {
  std::vector<std::future<HttpAnswer>> answers;
  for (int i = 0; i < n; ++i) {
    answers.push_back(std::async(std::launch::async, [this, &workload, &destination] {
      return CredentialFor(workload, destination);
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

std::string SignetdUnderTest::Signet(const std::string& args, int* code,
                                     const std::string& stdin_file) {
  return RunCommand(signet_path_ + " " + args + " --server " + signetd_->base_url +
                        " --token-file " + dir_.File("data/admin.token") +
                        (stdin_file.empty() ? "" : " < " + stdin_file) + " 2>&1",
                    code);
}

std::vector<boost::json::object> SignetdUnderTest::AuditRecords() {
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

std::string SignetdUnderTest::LogAndDatabase() const {
  return ReadFile(dir_.File("signetd.log")) + ReadFile(dir_.File("data/signet.db")) +
         ReadFile(dir_.File("data/signet.db-wal"));
}

bool OpensslVerifiesRs256(const std::string& jwt, const std::string& public_key_pem,
                          const TempDir& dir) {
  size_t dot = jwt.rfind('.');
  auto signature = Base64UrlDecode(jwt.substr(dot + 1));
  if (dot == std::string::npos || !signature.ok()) {
    return false;
  }
  std::ofstream(dir.File("signing-input")) << jwt.substr(0, dot);
  std::ofstream(dir.File("signature"), std::ios::binary) << *signature;
  int code = -1;
  std::string out =
      RunCommand("openssl dgst -sha256 -verify " + public_key_pem + " -signature " +
                     dir.File("signature") + " " + dir.File("signing-input") + " 2>&1",
                 &code);
  return code == 0 && out.find("Verified OK") != std::string::npos;
}

bool RecordHas(const boost::json::object& record, const char* member, std::string_view value) {
  const boost::json::value* found = record.if_contains(member);
  return found != nullptr && found->is_string() && found->get_string() == value;
}

}  // namespace signet::testing
