// What unit tests of providers that call a destination share: the destination's endpoint
// as an HttpClient that records each request and answers as the test says, a
// ProviderContext wired to it with a simulated clock and seeded randomness, and a check
// of the assertion Signet signed against its public key.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "credentials/provider.h"
#include "jose/jwt.h"
#include "support/status_matchers.h"

namespace signet::testing {

// A destination's endpoint as the provider sees it.
class RecordingHttpClient final : public http::HttpClient {
 public:
  Result<http::ClientResponse> Send(const http::ClientRequest& request) override {
    std::lock_guard lock(mu_);
    requests.push_back(request);
    return answer;
  }

  std::mutex mu_;
  std::vector<http::ClientRequest> requests;
  Result<http::ClientResponse> answer = Status(ErrorCode::kServerError, "unset", "no answer set");
};

// The value of the first header `name` of `request` ("" when it has none).
inline std::string_view HeaderOf(const http::ClientRequest& request, std::string_view name) {
  for (const auto& [key, value] : request.headers) {
    if (key == name) {
      return value;
    }
  }
  return "";
}

class CallingOutTest : public ::testing::Test {
 protected:
  CallingOutTest() {
    key_ = std::make_shared<const jose::SigningKey>(
        jose::SigningKey::Generate(jose::Algorithm::kES256, "k1").value());
    context_.issuer = "https://signet.example.com";
    context_.trust_domain = "example.com";
    context_.signing_key = credentials::FixedSigningKey(key_);
    context_.clock = &clock_;
    context_.random = &random_;
    context_.http_clients = [this](const http::ClientOptions& options) {
      ca_file_ = options.ca_file;
      auto client = std::make_unique<RecordingHttpClient>();
      client_ = client.get();
      return client;
    };
  }

  // The provider for `destination`, or null (and a test failure) when it is refused.
  std::unique_ptr<credentials::CredentialProvider> ProviderFor(
      const credentials::Destination& destination) {
    auto provider = credentials::CreateProvider(destination, context_);
    EXPECT_THAT(provider, IsOk());
    return provider.ok() ? std::move(provider).value() : nullptr;
  }

  // `jwt` verified with Signet's public key as a destination trusting Signet checks it.
  Result<jose::VerifiedJwt> VerifyAssertion(std::string_view jwt, std::string_view audience) {
    SIGNET_ASSIGN_OR_RETURN(auto validator, jose::JwtValidator::Builder()
                                                .ExpectIssuer(context_.issuer)
                                                .ExpectAudience(std::string(audience))
                                                .AllowAlgorithms({jose::Algorithm::kES256})
                                                .RequireIssuedAt()
                                                .Build());
    return jose::JwtVerifier(validator).Verify(jwt, jose::Jwks({key_->public_jwk()}), clock_.Now());
  }

  SimulatedClock clock_{FromUnixSeconds(1'800'000'000)};
  SeededRandom random_{11};
  std::shared_ptr<const jose::SigningKey> key_;
  credentials::ProviderContext context_;
  RecordingHttpClient* client_ = nullptr;
  std::string ca_file_;
};

}  // namespace signet::testing
