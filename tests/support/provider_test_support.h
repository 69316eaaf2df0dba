// What credential providers' unit tests share: in place of the world, a destination's
// HTTP endpoint that records each request and answers what the test set, and Signet's
// vault; and the checks every kind's settings get.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "credentials/provider.h"
#include "http/client.h"
#include "support/status_matchers.h"

namespace signet::testing {

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

inline http::ClientResponse JsonResponse(
    int status, std::string body, std::vector<std::pair<std::string, std::string>> headers = {}) {
  return http::ClientResponse{status, "application/json", std::move(headers), std::move(body)};
}

// The value of the request's header `name` (exact case), if it has one.
inline std::optional<std::string> HeaderOf(const http::ClientRequest& request,
                                           std::string_view name) {
  for (const auto& [key, value] : request.headers) {
    if (key == name) {
      return value;
    }
  }
  return std::nullopt;
}

// Signet's vault: secrets by name, and how often one was opened.
class FakeVault {
 public:
  std::map<std::string, std::string, std::less<>> secrets;
  int opened = 0;

  // Answers as store/secrets.h Open does. The vault must outlive the source.
  credentials::SecretSource Source() {
    return [this](std::string_view name) -> Result<Secret> {
      ++opened;
      auto it = secrets.find(name);
      if (it == secrets.end()) {
        return Status(ErrorCode::kInvalidRequest, "secret_not_found",
                      "no secret is named " + std::string(name));
      }
      return Secret(it->second);
    };
  }
};

// The provider for `destination`, or null after a test failure.
inline std::unique_ptr<credentials::CredentialProvider> ProviderOrNull(
    const credentials::Destination& destination, const credentials::ProviderContext& context) {
  auto provider = credentials::CreateProvider(destination, context);
  EXPECT_THAT(provider, IsOk());
  return provider.ok() ? std::move(provider).value() : nullptr;
}

// Expects `destination` (which creates a provider) to be refused without each of the
// `required` settings (destination_setting_missing), with each of the `invalid` (name,
// value) pairs (destination_setting_invalid, naming the setting), with a setting the
// kind does not take, and without Signet's vault.
inline void ExpectSettingsChecked(const credentials::Destination& destination,
                                  const credentials::ProviderContext& context,
                                  const std::vector<std::string>& required,
                                  const std::vector<std::pair<std::string, std::string>>& invalid) {
  for (const std::string& name : required) {
    credentials::Destination missing = destination;
    missing.settings.erase(name);
    EXPECT_THAT(credentials::CreateProvider(missing, context),
                FailsWithCode(ErrorCode::kInvalidConfig, "destination_setting_missing"))
        << name;
  }
  for (const auto& [name, value] : invalid) {
    credentials::Destination refused = destination;
    refused.settings[name] = value;
    auto created = credentials::CreateProvider(refused, context);
    EXPECT_THAT(created, FailsWithCode(ErrorCode::kInvalidConfig, "destination_setting_invalid"))
        << name << "=" << value;
    EXPECT_NE(created.status().message().find(name), std::string::npos)
        << created.status().message();
  }
  credentials::Destination unknown = destination;
  unknown.settings["no_such_setting"] = "1";
  EXPECT_THAT(credentials::CreateProvider(unknown, context),
              FailsWith("destination_setting_unknown"));
  credentials::ProviderContext no_vault = context;
  no_vault.secrets = nullptr;
  EXPECT_THAT(credentials::CreateProvider(destination, no_vault),
              FailsWith("provider_context_incomplete"));
}

}  // namespace signet::testing
