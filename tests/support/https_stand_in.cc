#include "support/https_stand_in.h"

#include <gtest/gtest.h>

#include "jose/jwt.h"
#include "support/subprocess.h"

namespace signet::testing {

TestCertificate MakeTestCertificate(const std::string& dir, const std::string& name) {
  TestCertificate made{dir + "/" + name + ".pem", dir + "/" + name + ".key"};
  int code = -1;
  std::string out = RunCommand(
      "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 "
      "-subj /CN=" +
          name + " -addext subjectAltName=IP:127.0.0.1 -keyout " + made.key + " -out " + made.cert +
          " 2>&1",
      &code);
  EXPECT_EQ(code, 0) << out;
  return made;
}

HttpsStandIn::HttpsStandIn(const std::string& dir, const std::string& name, http::Router router)
    : cert_(dir + "/" + name + ".pem") {
  std::string key = MakeTestCertificate(dir, name).key;
  http::ServerOptions options;
  options.port = 0;
  options.tls = http::TlsOptions{cert_, key};
  server_ = std::move(http::Server::Start(options, std::move(router)).value());
  thread_ = std::thread([this] { server_->Run(); });
}

HttpsStandIn::~HttpsStandIn() {
  server_->Stop();
  thread_.join();
}

std::string HttpsStandIn::base_url() const {
  return "https://127.0.0.1:" + std::to_string(server_->port());
}

int RequestLog::Record(const std::string& key, const http::Request& request) {
  std::lock_guard lock(mu_);
  requests_.emplace_back(key, request);
  return static_cast<int>(requests_.size());
}

std::vector<http::Request> RequestLog::For(const std::string& key) {
  std::lock_guard lock(mu_);
  std::vector<http::Request> matching;
  for (const auto& [recorded_key, request] : requests_) {
    if (recorded_key == key) {
      matching.push_back(request);
    }
  }
  return matching;
}

std::string WorkloadOfJwt(std::string_view jwt) {
  static constexpr std::string_view kWorkloadPrefix = "spiffe://test.signet/workload/";
  auto parsed = jose::ParseJwt(jwt);
  if (!parsed.ok() || !parsed->claims.contains("sub") || !parsed->claims.at("sub").is_string()) {
    return "";
  }
  std::string_view sub = parsed->claims.at("sub").as_string();
  return sub.starts_with(kWorkloadPrefix) ? std::string(sub.substr(kWorkloadPrefix.size())) : "";
}

}  // namespace signet::testing
