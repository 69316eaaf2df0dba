#include "support/gcp_stand_in.h"

#include <gtest/gtest.h>

#include "common/clock.h"
#include "http/form.h"
#include "jose/jwt.h"
#include "support/subprocess.h"

namespace signet::testing {
namespace {

constexpr std::string_view kWorkloadPrefix = "spiffe://test.signet/workload/";
constexpr std::string_view kPrivate = "standin-private-detail";

// The workload a subject token names, "" when it names none.
std::string WorkloadOf(const std::string& subject_token) {
  auto jwt = jose::ParseJwt(subject_token);
  if (!jwt.ok() || !jwt->claims.contains("sub") || !jwt->claims.at("sub").is_string()) {
    return "";
  }
  std::string_view sub = jwt->claims.at("sub").as_string();
  return sub.starts_with(kWorkloadPrefix) ? std::string(sub.substr(kWorkloadPrefix.size())) : "";
}

}  // namespace

GcpStandIn::GcpStandIn(const std::string& dir) : cert(dir + "/gcp-standin.pem") {
  int code = -1;
  RunCommand(
      "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 "
      "-subj /CN=gcp-stand-in -addext subjectAltName=IP:127.0.0.1 -keyout " +
          dir + "/gcp-standin.key -out " + cert + " 2>&1",
      &code);
  EXPECT_EQ(code, 0);
  http::Router router;
  router.Add("POST", "/v1/token", [this](const http::Request& r) { return Exchange(r); });
  router.Add("POST", "/v1/projects/-/serviceAccounts/{account}",
             [this](const http::Request& r) { return GenerateAccessToken(r); });
  http::ServerOptions options;
  options.port = 0;
  options.tls = http::TlsOptions{cert, dir + "/gcp-standin.key"};
  server_ = std::move(http::Server::Start(options, std::move(router)).value());
  thread_ = std::thread([this] { server_->Run(); });
}

GcpStandIn::~GcpStandIn() {
  server_->Stop();
  thread_.join();
}

std::string GcpStandIn::base_url() const {
  return "https://127.0.0.1:" + std::to_string(server_->port());
}

std::vector<http::Request> GcpStandIn::RequestsFor(const std::string& workload,
                                                   const std::string& path) {
  std::lock_guard lock(mu_);
  std::vector<http::Request> matching;
  for (const auto& [name, request] : requests_) {
    if (name == workload && request.path == path) {
      matching.push_back(request);
    }
  }
  return matching;
}

int GcpStandIn::Record(const std::string& workload, const http::Request& request) {
  std::lock_guard lock(mu_);
  requests_.emplace_back(workload, request);
  return static_cast<int>(requests_.size());
}

http::Response GcpStandIn::Exchange(const http::Request& request) {
  std::string workload;
  if (auto form = http::ParseForm(request.body); form.ok()) {
    for (const auto& [name, value] : *form) {
      workload = name == "subject_token" ? WorkloadOf(value) : workload;
    }
  }
  std::string token = "ya29.standin-" + std::to_string(Record(workload, request));
  if (workload == "refused-app") {
    return http::Response::Json(
        400, R"({"error":"invalid_grant","error_description":")" + std::string(kPrivate) + "\"}");
  }
  if (workload == "flaky-app") {
    return http::Response::Json(503, R"({"error":"temporarily_unavailable",)"
                                     R"("error_description":")" +
                                         std::string(kPrivate) + "\"}");
  }
  if (workload == "garbled-app") {
    return http::Response::Json(200, R"({"token":"standin-private-detail"})");
  }
  {
    std::lock_guard lock(mu_);
    federated_.emplace_back(token, workload);
  }
  return http::Response::Json(
      200, R"({"access_token":")" + token +
               R"(","issued_token_type":"urn:ietf:params:oauth:token-type:access_token",)"
               R"("token_type":"Bearer","expires_in":)" +
               (workload == "short-app" ? "90" : "3599") + "}");
}

http::Response GcpStandIn::GenerateAccessToken(const http::Request& request) {
  std::string presented(request.Header("Authorization").value_or(""));
  std::string workload;
  {
    std::lock_guard lock(mu_);
    for (const auto& [token, name] : federated_) {
      workload = presented == "Bearer " + token ? name : workload;
    }
  }
  int n = Record(workload, request);
  if (workload == "denied-app") {
    return http::Response::Json(
        403, R"({"error":{"code":403,"message":"Permission 'iam.serviceAccounts.)"
             R"(getAccessToken' denied )" +
                 std::string(kPrivate) + R"(","status":"PERMISSION_DENIED"}})");
  }
  std::chrono::seconds lifetime(workload == "short-app" ? 90 : 3600);
  return http::Response::Json(200, R"({"accessToken":"ya29.standin-sa-)" + std::to_string(n) +
                                       R"(","expireTime":")" +
                                       FormatUtcSeconds(Clock::Real().Now() + lifetime) + "\"}");
}

}  // namespace signet::testing
