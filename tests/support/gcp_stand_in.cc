#include "support/gcp_stand_in.h"

#include "common/clock.h"
#include "http/form.h"
#include "support/https_stand_in.h"

namespace signet::testing {
namespace {

constexpr std::string_view kPrivate = "standin-private-detail";

}  // namespace

GcpStandIn::GcpStandIn(const std::string& dir) : server_(dir, "gcp-stand-in", Routes()) {}

http::Router GcpStandIn::Routes() {
  http::Router router;
  router.Add("POST", "/v1/token", [this](const http::Request& r) { return Exchange(r); });
  router.Add("POST", "/v1/projects/-/serviceAccounts/{account}",
             [this](const http::Request& r) { return GenerateAccessToken(r); });
  return router;
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
      workload = name == "subject_token" ? WorkloadOfJwt(value) : workload;
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
