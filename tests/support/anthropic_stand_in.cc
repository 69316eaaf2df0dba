#include "support/anthropic_stand_in.h"

#include "common/json.h"

namespace signet::testing {

AnthropicStandIn::AnthropicStandIn(const std::string& dir)
    : server_(dir, "anthropic-stand-in", Routes()) {}

http::Router AnthropicStandIn::Routes() {
  http::Router router;
  router.Add("POST", "/v1/oauth/token",
             [this](const http::Request& request) { return Answer(request); });
  return router;
}

std::vector<http::Request> AnthropicStandIn::RequestsFor(const std::string& workload) {
  return requests_.For(workload);
}

http::Response AnthropicStandIn::Answer(const http::Request& request) {
  std::string workload;
  if (auto body = ParseJsonObject(request.body);
      body.ok() && body->contains("assertion") && body->at("assertion").is_string()) {
    workload = WorkloadOfJwt(body->at("assertion").as_string());
  }
  const int n = requests_.Record(workload, request);
  if (workload == "refused-app") {
    return http::Response::Json(
        400, R"({"error":"invalid_grant","error_description":"standin-private-detail"})");
  }
  if (workload == "flaky-app") {
    return http::Response::Json(
        529, R"({"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}})");
  }
  return http::Response::Json(200, R"({"access_token":"sk-ant-oat01-standin-)" + std::to_string(n) +
                                       R"(","token_type":"Bearer","expires_in":600,)"
                                       R"("scope":"workspace:inference"})");
}

}  // namespace signet::testing
