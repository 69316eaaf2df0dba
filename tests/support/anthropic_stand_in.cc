#include "support/anthropic_stand_in.h"

#include "common/json.h"

namespace signet::testing {
namespace {

std::string AssertionSubject(const http::Request& request) {
  auto body = ParseJsonObject(request.body);
  if (!body.ok() || !body->contains("assertion") || !body->at("assertion").is_string()) {
    return "";
  }
  return SubjectOfJwt(body->at("assertion").as_string());
}

http::Response AnthropicAnswer(const std::string& sub, const http::Request&, int n) {
  if (sub.ends_with("/refused-app")) {
    return http::Response::Json(
        400, R"({"error":"invalid_grant","error_description":"standin-private-detail"})");
  }
  if (sub.ends_with("/flaky-app")) {
    return http::Response::Json(
        529, R"({"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}})");
  }
  return http::Response::Json(200, R"({"access_token":"sk-ant-oat01-standin-)" + std::to_string(n) +
                                       R"(","token_type":"Bearer","expires_in":600,)"
                                       R"("scope":"workspace:inference"})");
}

}  // namespace

AnthropicStandIn::AnthropicStandIn(const std::string& dir)
    : HttpsStandIn(dir, "anthropic-stand-in", "POST", "/v1/oauth/token", AssertionSubject,
                   AnthropicAnswer) {}

}  // namespace signet::testing
