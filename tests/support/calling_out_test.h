// What the unit tests of providers that call out share: an HttpClient that answers as the
// destination would (by URL, recording every request), and a fixture with Signet's side
// of things (a signing key, a SimulatedClock, seeded randomness, a vault).
#pragma once

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "credentials/provider.h"
#include "jose/jwt.h"
#include "jose/signing_key.h"

namespace signet::testing {

class FakeHttpClient final : public http::HttpClient {
 public:
  Result<http::ClientResponse> Send(const http::ClientRequest& request) override {
    std::lock_guard lock(mu_);
    requests.push_back(request);
    auto it = answers.find(request.url);
    return it != answers.end() ? it->second
                               : Status(ErrorCode::kServerError, "unset", "no answer set");
  }

  // What a request to `url` gets from now on.
  void Set(const std::string& url, Result<http::ClientResponse> answer) {
    std::lock_guard lock(mu_);
    answers.insert_or_assign(url, std::move(answer));
  }

  std::mutex mu_;
  std::vector<http::ClientRequest> requests;
  std::map<std::string, Result<http::ClientResponse>> answers;  // by URL
};

inline http::ClientResponse JsonAnswer(int status, std::string body) {
  return http::ClientResponse{status, "application/json", {}, std::move(body)};
}

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
      auto client = std::make_unique<FakeHttpClient>();
      client_ = client.get();
      return client;
    };
    context_.secrets = [this](std::string_view name) -> Result<Secret> {
      ++vault_opened_;
      auto it = vault_.find(std::string(name));
      if (it == vault_.end()) {
        return Status(ErrorCode::kInvalidRequest, "secret_not_found",
                      "no secret " + std::string(name));
      }
      return Secret(it->second);
    };
  }

  std::unique_ptr<credentials::CredentialProvider> ProviderFor(
      const credentials::Destination& destination) {
    auto provider = credentials::CreateProvider(destination, context_);
    EXPECT_TRUE(provider.ok()) << provider.status().message();
    return provider.ok() ? std::move(provider).value() : nullptr;
  }

  // Expects `destination` (which creates a provider) to be refused without each of the
  // `required` settings (destination_setting_missing), with each of the `invalid` (name,
  // value) pairs (destination_setting_invalid, naming the setting), with a setting the
  // kind does not take, and without Signet's vault.
  void ExpectSettingsChecked(const credentials::Destination& destination,
                             const std::vector<std::string>& required,
                             const std::vector<std::pair<std::string, std::string>>& invalid) {
    for (const std::string& name : required) {
      credentials::Destination missing = destination;
      missing.settings.erase(name);
      auto created = credentials::CreateProvider(missing, context_);
      EXPECT_EQ(created.status().reason(), "destination_setting_missing") << name;
    }
    for (const auto& [name, value] : invalid) {
      credentials::Destination refused = destination;
      refused.settings[name] = value;
      auto created = credentials::CreateProvider(refused, context_);
      EXPECT_EQ(created.status().code(), ErrorCode::kInvalidConfig) << name << "=" << value;
      EXPECT_EQ(created.status().reason(), "destination_setting_invalid") << name << "=" << value;
      EXPECT_NE(created.status().message().find(name), std::string::npos)
          << created.status().message();
    }
    credentials::Destination unknown = destination;
    unknown.settings["no_such_setting"] = "1";
    EXPECT_EQ(credentials::CreateProvider(unknown, context_).status().reason(),
              "destination_setting_unknown");
    credentials::ProviderContext no_vault = context_;
    no_vault.secrets = nullptr;
    EXPECT_EQ(credentials::CreateProvider(destination, no_vault).status().reason(),
              "provider_context_incomplete");
  }

  credentials::IssueRequest Request(std::chrono::seconds lifetime = std::chrono::seconds(3600),
                                    std::vector<std::string> scopes = {}) {
    return credentials::IssueRequest{
        "billing",    std::move(scopes),   lifetime,
        std::nullopt, "https://k8s.local", "system:serviceaccount:billing:api",
        clock_.Now()};
  }

  // The claims of an assertion the provider sent, after checking its signature with
  // Signet's key, its `issuer` (Signet's unless the assertion is a client's own, as with
  // private_key_jwt) and `audience`.
  Result<jose::VerifiedJwt> VerifyAssertion(
      const std::string& jwt, const std::string& audience,
      const std::string& issuer = "https://signet.example.com") {
    auto validator = jose::JwtValidator::Builder()
                         .ExpectIssuer(issuer)
                         .ExpectAudience(audience)
                         .AllowAlgorithms({jose::Algorithm::kES256})
                         .RequireIssuedAt()
                         .Build();
    if (!validator.ok()) {
      return validator.status();
    }
    return jose::JwtVerifier(*validator)
        .Verify(jwt, jose::Jwks({key_->public_jwk()}), clock_.Now());
  }

  SimulatedClock clock_{FromUnixSeconds(1'800'000'000)};
  SeededRandom random_{11};
  std::shared_ptr<const jose::SigningKey> key_;
  credentials::ProviderContext context_;
  std::map<std::string, std::string> vault_;
  int vault_opened_ = 0;  // how often a secret was opened
  FakeHttpClient* client_ = nullptr;
  std::string ca_file_;
};

}  // namespace signet::testing
