#include "trust/issuer_registry.h"

#include <gtest/gtest.h>

#include "common/base64url.h"
#include "support/status_matchers.h"
#include "trust/fake_fetcher.h"

namespace signet::trust {
namespace {

using std::chrono::seconds;
using testing::FailsWith;
using testing::FailsWithCode;
using testing::IsOk;

class IssuerRegistryTest : public ::testing::Test {
 protected:
  static IssuerConfig Config(const std::string& name, const std::string& iss) {
    IssuerConfig config;
    config.name = name;
    config.issuer_url = iss;
    config.audiences = {"signet"};
    return config;
  }

  // An issuer named `name` with `iss` and inline keys {key_}.
  std::unique_ptr<Issuer> InlineIssuer(const std::string& name, const std::string& iss) {
    IssuerConfig config = Config(name, iss);
    config.key_source = KeySourceKind::kInline;
    config.inline_jwks = jose::Jwks({key_.public_jwk()}).ToJson();
    return Issuer::Create(config, fetcher_, clock_).value();
  }

  // An issuer whose keys come from `jwks_uri`, which the fake fetcher does not serve.
  std::unique_ptr<Issuer> UnreachableIssuer(const std::string& name, const std::string& iss) {
    IssuerConfig config = Config(name, iss);
    config.key_source = KeySourceKind::kJwksUri;
    config.jwks_uri = iss + "/keys";
    return Issuer::Create(config, fetcher_, clock_).value();
  }

  // {"alg":"ES256","kid":"k"} . {"iss":<iss>,"sub":"w","aud":"signet","exp":now+600}
  std::string Token(const boost::json::value& iss) {
    boost::json::object claims{{"iss", iss},
                               {"sub", "w"},
                               {"aud", "signet"},
                               {"exp", ToUnixSecondsFloor(clock_.Now()) + 600}};
    return jose::SignJwt(key_, claims).value();
  }

  IssuerRegistry Registry(std::vector<std::shared_ptr<Issuer>> issuers) {
    return IssuerRegistry::Build(std::move(issuers)).value();
  }

  SimulatedClock clock_;
  FakeFetcher fetcher_;
  jose::SigningKey key_ =
      jose::SigningKey::GenerateForTesting(jose::Algorithm::kES256, "k").value();
};

TEST_F(IssuerRegistryTest, ChoosesTheIssuerByIss) {
  std::vector<std::shared_ptr<Issuer>> issuers;
  issuers.push_back(InlineIssuer("k8s", "https://k8s.example"));
  issuers.push_back(InlineIssuer("github", "https://token.actions.githubusercontent.com"));
  IssuerRegistry registry = Registry(std::move(issuers));

  auto verified =
      registry.Verify(Token("https://token.actions.githubusercontent.com"), clock_.Now());
  ASSERT_THAT(verified, IsOk());
  EXPECT_EQ(verified->first->config().name, "github");
  EXPECT_EQ(verified->second.issuer(), "https://token.actions.githubusercontent.com");
  EXPECT_EQ(registry.Verify(Token("https://k8s.example"), clock_.Now())->first->config().name,
            "k8s");
}

TEST_F(IssuerRegistryTest, UntrustedIssuerIsRefusedWithoutAnyFetch) {
  std::vector<std::shared_ptr<Issuer>> issuers;
  issuers.push_back(InlineIssuer("k8s", "https://k8s.example"));
  IssuerRegistry registry = Registry(std::move(issuers));

  auto stranger = registry.Verify(Token("http://169.254.169.254/latest"), clock_.Now());
  ASSERT_THAT(stranger, FailsWithCode(ErrorCode::kInvalidRequest, "issuer_untrusted"));
  EXPECT_NE(stranger.status().message().find("token issuer is not trusted"), std::string::npos);
  EXPECT_NE(stranger.status().message().find("169.254.169.254"), std::string::npos);

  // The iss is echoed for the developer, but bounded.
  std::string long_value(5000, 'x');
  auto long_iss = registry.Verify(Token(long_value.c_str()), clock_.Now());
  ASSERT_THAT(long_iss, FailsWith("issuer_untrusted"));
  EXPECT_NE(long_iss.status().message().find(std::string(200, 'x')), std::string::npos);
  EXPECT_EQ(long_iss.status().message().find(std::string(201, 'x')), std::string::npos);

  // Close is not equal: iss is matched byte for byte.
  EXPECT_THAT(registry.Verify(Token("https://k8s.example/"), clock_.Now()),
              FailsWith("issuer_untrusted"));
  EXPECT_EQ(fetcher_.TotalCalls(), 0);
}

TEST_F(IssuerRegistryTest, TokensWithoutAReadableIssAreInvalidRequest) {
  std::vector<std::shared_ptr<Issuer>> issuers;
  issuers.push_back(InlineIssuer("k8s", "https://k8s.example"));
  IssuerRegistry registry = Registry(std::move(issuers));

  EXPECT_THAT(registry.Verify("garbage", clock_.Now()),
              FailsWithCode(ErrorCode::kInvalidRequest, "token_segment_count"));
  EXPECT_THAT(registry.Verify(Token(42), clock_.Now()),
              FailsWithCode(ErrorCode::kInvalidRequest, "iss_mismatch"));
  boost::json::object no_iss{{"sub", "w"}, {"aud", "signet"}, {"exp", 2'000'000'000}};
  EXPECT_THAT(registry.Verify(jose::SignJwt(key_, no_iss).value(), clock_.Now()),
              FailsWithCode(ErrorCode::kInvalidRequest, "iss_missing"));
  // A payload that is not strict JSON (a duplicate iss, the second one trusted) is
  // refused before any issuer is chosen.
  std::string header = Base64UrlEncode(R"({"alg":"ES256","kid":"k"})");
  std::string payload =
      Base64UrlEncode(R"({"iss":"https://evil.example","iss":"https://k8s.example"})");
  EXPECT_THAT(registry.Verify(header + "." + payload + ".c2ln", clock_.Now()),
              FailsWithCode(ErrorCode::kInvalidRequest, "json_duplicate_member"));
}

TEST_F(IssuerRegistryTest, DuplicateIssIsRefused) {
  std::vector<std::shared_ptr<Issuer>> twins;
  twins.push_back(InlineIssuer("a", "https://k8s.example"));
  twins.push_back(InlineIssuer("b", "https://k8s.example"));
  auto registry = IssuerRegistry::Build(std::move(twins));
  ASSERT_THAT(registry, FailsWithCode(ErrorCode::kInvalidConfig, "config_invalid"));
  EXPECT_NE(registry.status().message().find("a and b"), std::string::npos);
}

TEST_F(IssuerRegistryTest, RefreshAllTriesEveryIssuerAndReportsTheFirstFailure) {
  std::vector<std::shared_ptr<Issuer>> issuers;
  issuers.push_back(UnreachableIssuer("first", "https://z.example"));
  issuers.push_back(InlineIssuer("inline", "https://k8s.example"));
  issuers.push_back(UnreachableIssuer("second", "https://a.example"));
  IssuerRegistry registry = Registry(std::move(issuers));

  Status refreshed = registry.RefreshAll();
  ASSERT_THAT(refreshed, FailsWith("issuer_keys_unavailable"));
  EXPECT_NE(refreshed.message().find("first"), std::string::npos);  // configuration order
  EXPECT_EQ(fetcher_.Calls("https://z.example/keys"), 1);
  EXPECT_EQ(fetcher_.Calls("https://a.example/keys"), 1);
  // Issuers that could not fetch do not stop the others from verifying.
  EXPECT_THAT(registry.Verify(Token("https://k8s.example"), clock_.Now()), IsOk());
}

// A new configuration keeps the issuers it did not change, fetched keys and all.
TEST_F(IssuerRegistryTest, FindReturnsOnlyAnIssuerConfiguredExactlyAlike) {
  std::vector<std::shared_ptr<Issuer>> issuers;
  issuers.push_back(InlineIssuer("k8s", "https://k8s.example"));
  IssuerRegistry registry = Registry(std::move(issuers));
  IssuerConfig same = InlineIssuer("k8s", "https://k8s.example")->config();
  std::shared_ptr<Issuer> found = registry.Find(same);
  ASSERT_NE(found, nullptr);
  EXPECT_EQ(found->config().name, "k8s");
  IssuerConfig wider = same;
  wider.audiences.push_back("another-audience");
  EXPECT_EQ(registry.Find(wider), nullptr);
  IssuerConfig renamed = same;
  renamed.name = "kubernetes";
  EXPECT_EQ(registry.Find(renamed), nullptr);
}

}  // namespace
}  // namespace signet::trust
