// What a provider that calls out gets from signetd, faked for its unit test: a simulated
// clock, seeded randomness, an ES256 signing key "k1", a vault held in a map, and an HTTP
// client factory whose client records each request and answers what the test set. No
// network, no sleeps.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/clock.h"
#include "common/random.h"
#include "credentials/provider.h"
#include "http/client.h"
#include "jose/jwt.h"
#include "jose/signing_key.h"

namespace signet::testing {

// A destination's token endpoint as the provider sees it.
class RecordingHttpClient final : public http::HttpClient {
 public:
  Result<http::ClientResponse> Send(const http::ClientRequest& request) override {
    std::lock_guard lock(mu_);
    requests.push_back(request);
    return answer;
  }

  std::vector<http::ClientRequest> requests;
  Result<http::ClientResponse> answer = Status(ErrorCode::kServerError, "unset", "no answer set");

 private:
  std::mutex mu_;
};

inline http::ClientResponse JsonAnswer(int status, std::string body) {
  return http::ClientResponse{status, "application/json", {}, std::move(body)};
}

// The value of the first header `name` of `request`, "" when it has none.
inline std::string_view HeaderOf(const http::ClientRequest& request, std::string_view name) {
  for (const auto& [key, value] : request.headers) {
    if (key == name) {
      return value;
    }
  }
  return "";
}

struct OutboundContext {
  OutboundContext()
      : key(std::make_shared<const jose::SigningKey>(
            jose::SigningKey::Generate(jose::Algorithm::kES256, "k1").value())) {
    context.issuer = "https://signet.example.com";
    context.trust_domain = "example.com";
    context.signing_key = credentials::FixedSigningKey(key);
    context.clock = &clock;
    context.random = &random;
    context.http_clients = [this](const http::ClientOptions& options) {
      ca_file = options.ca_file;
      auto made = std::make_unique<RecordingHttpClient>();
      client = made.get();
      return made;
    };
    context.secrets = [this](std::string_view name) -> Result<Secret> {
      auto it = vault.find(std::string(name));
      if (it == vault.end()) {
        return Status(ErrorCode::kInvalidRequest, "secret_not_found",
                      "no secret is named " + std::string(name));
      }
      return Secret(it->second);
    };
  }
  OutboundContext(const OutboundContext&) = delete;
  OutboundContext& operator=(const OutboundContext&) = delete;

  // A request of workload billing, granted `scopes` for `lifetime` now.
  credentials::IssueRequest Request(std::vector<std::string> scopes,
                                    std::chrono::seconds lifetime = std::chrono::seconds(3600)) {
    return credentials::IssueRequest{
        "billing",    std::move(scopes),   lifetime,
        std::nullopt, "https://k8s.local", "system:serviceaccount:billing:api",
        clock.Now()};
  }

  // `jwt` verified with this context's key at the clock's now, as a destination trusting
  // Signet would verify it: ES256, `issuer`, `audience`, iat required.
  Result<jose::VerifiedJwt> Verify(const std::string& jwt, const std::string& issuer,
                                   const std::string& audience) const {
    SIGNET_ASSIGN_OR_RETURN(jose::JwtValidator validator,
                            jose::JwtValidator::Builder()
                                .ExpectIssuer(issuer)
                                .ExpectAudience(audience)
                                .AllowAlgorithms({jose::Algorithm::kES256})
                                .RequireIssuedAt()
                                .Build());
    return jose::JwtVerifier(validator).Verify(jwt, jose::Jwks({key->public_jwk()}), clock.Now());
  }

  SimulatedClock clock{FromUnixSeconds(1'800'000'000)};
  SeededRandom random{11};
  std::shared_ptr<const jose::SigningKey> key;
  std::map<std::string, std::string> vault;
  credentials::ProviderContext context;
  RecordingHttpClient* client = nullptr;  // the one the provider made last
  std::string ca_file;                    // the options it was made with
};

}  // namespace signet::testing
