#include "support/anthropic_stand_in.h"

#include <gtest/gtest.h>

#include "common/json.h"
#include "jose/jwt.h"
#include "support/subprocess.h"

namespace signet::testing {

AnthropicStandIn::AnthropicStandIn(const std::string& dir) : cert(dir + "/standin.pem") {
  int code = -1;
  RunCommand(
      "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 "
      "-subj /CN=anthropic-stand-in -addext subjectAltName=IP:127.0.0.1 -keyout " +
          dir + "/standin.key -out " + cert + " 2>&1",
      &code);
  EXPECT_EQ(code, 0);
  http::Router router;
  router.Add("POST", "/v1/oauth/token",
             [this](const http::Request& request) { return Answer(request); });
  http::ServerOptions options;
  options.port = 0;
  options.tls = http::TlsOptions{cert, dir + "/standin.key"};
  server_ = std::move(http::Server::Start(options, std::move(router)).value());
  thread_ = std::thread([this] { server_->Run(); });
}

AnthropicStandIn::~AnthropicStandIn() {
  server_->Stop();
  thread_.join();
}

std::string AnthropicStandIn::base_url() const {
  return "https://127.0.0.1:" + std::to_string(server_->port());
}

std::vector<http::Request> AnthropicStandIn::RequestsFor(const std::string& workload) {
  std::lock_guard lock(mu_);
  std::vector<http::Request> matching;
  for (const auto& [sub, request] : requests_) {
    if (sub == "spiffe://test.signet/workload/" + workload) {
      matching.push_back(request);
    }
  }
  return matching;
}

http::Response AnthropicStandIn::Answer(const http::Request& request) {
  std::string sub;
  if (auto body = ParseJsonObject(request.body); body.ok() && body->contains("assertion")) {
    auto assertion = jose::ParseJwt(std::string(body->at("assertion").as_string()));
    if (assertion.ok() && assertion->claims.contains("sub")) {
      sub = std::string(assertion->claims.at("sub").as_string());
    }
  }
  int n = 0;
  {
    std::lock_guard lock(mu_);
    requests_.emplace_back(sub, request);
    n = static_cast<int>(requests_.size());
  }
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

}  // namespace signet::testing
