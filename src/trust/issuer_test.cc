#include "trust/issuer.h"

#include <gtest/gtest.h>

#include <map>

#include "support/status_matchers.h"
#include "trust/issuer_registry.h"

namespace signet::trust {
namespace {

using std::chrono::seconds;
using testing::FailsWith;
using testing::IsOk;

constexpr char kIss[] = "https://idp.example.com";

// Serves canned bodies by URL and counts every call.
class FakeFetcher final : public Fetcher {
 public:
  Result<std::string> Get(const std::string& url) override {
    ++calls[url];
    auto it = bodies.find(url);
    if (it == bodies.end()) {
      return Status(ErrorCode::kTemporarilyUnavailable, "fetch_failed", "GET " + url + " failed");
    }
    return it->second;
  }
  int total() const {
    int n = 0;
    for (const auto& [url, c] : calls) {
      n += c;
    }
    return n;
  }
  std::map<std::string, std::string> bodies;
  std::map<std::string, int> calls;
};

jose::SigningKey Key(const std::string& kid) {
  return jose::SigningKey::GenerateForTesting(jose::Algorithm::kES256, kid).value();
}

std::string JwksOf(const std::vector<const jose::SigningKey*>& keys) {
  std::vector<jose::Jwk> jwks;
  for (const auto* key : keys) {
    jwks.push_back(key->public_jwk());
  }
  return jose::Jwks(jwks).ToJson();
}

class IssuerTest : public ::testing::Test {
 protected:
  IssuerTest() : k1_(Key("k1")), k2_(Key("k2")) { ServeDiscovery({&k1_}); }

  void ServeDiscovery(const std::vector<const jose::SigningKey*>& keys) {
    fetcher_.bodies[std::string(kIss) + "/.well-known/openid-configuration"] =
        std::string(R"({"issuer":")") + kIss + R"(","jwks_uri":")" + kIss + R"(/keys"})";
    fetcher_.bodies[std::string(kIss) + "/keys"] = JwksOf(keys);
  }

  IssuerConfig Config(KeySourceKind source = KeySourceKind::kDiscovery) {
    IssuerConfig config;
    config.name = "idp";
    config.issuer_url = kIss;
    config.audiences = {"signet"};
    config.key_source = source;
    return config;
  }

  std::string Token(const jose::SigningKey& key, std::string iss = kIss) {
    int64_t now = ToUnixSecondsFloor(clock_.Now());
    boost::json::object claims{{"iss", iss},
                               {"sub", "system:serviceaccount:a:b"},
                               {"aud", "signet"},
                               {"iat", now},
                               {"exp", now + 600}};
    return jose::SignJwt(key, claims).value();
  }

  SimulatedClock clock_;
  FakeFetcher fetcher_;
  jose::SigningKey k1_;
  jose::SigningKey k2_;
};

TEST_F(IssuerTest, DiscoveryFindsTheKeys) {
  auto issuer = Issuer::Create(Config(), fetcher_, clock_);
  ASSERT_THAT(issuer, IsOk());
  ASSERT_THAT((*issuer)->Refresh(), IsOk());
  auto jwt = (*issuer)->Verify(Token(k1_), clock_.Now());
  ASSERT_THAT(jwt, IsOk());
  EXPECT_EQ(jwt->subject(), "system:serviceaccount:a:b");
  EXPECT_EQ(fetcher_.total(), 2);
}

TEST_F(IssuerTest, DiscoveryNamingAnotherIssuerIsRefused) {
  fetcher_.bodies[std::string(kIss) + "/.well-known/openid-configuration"] =
      R"({"issuer":"https://evil.example","jwks_uri":"https://idp.example.com/keys"})";
  auto issuer = Issuer::Create(Config(), fetcher_, clock_);
  ASSERT_THAT(issuer, IsOk());
  Status refreshed = (*issuer)->Refresh();
  ASSERT_THAT(refreshed, FailsWith("issuer_keys_unavailable"));
  EXPECT_NE(refreshed.message().find("does not name"), std::string::npos);
}

TEST_F(IssuerTest, PlainHttpJwksUriOnARemoteHostIsRefused) {
  fetcher_.bodies[std::string(kIss) + "/.well-known/openid-configuration"] =
      std::string(R"({"issuer":")") + kIss + R"(","jwks_uri":"http://idp.example.com/keys"})";
  auto issuer = Issuer::Create(Config(), fetcher_, clock_);
  ASSERT_THAT(issuer, IsOk());
  EXPECT_THAT((*issuer)->Refresh(), FailsWith("issuer_keys_unavailable"));
  EXPECT_EQ(fetcher_.calls.count("http://idp.example.com/keys"), 0u);
}

TEST_F(IssuerTest, UnknownKidRefetchesOnceThenIsRateLimited) {
  auto issuer = Issuer::Create(Config(), fetcher_, clock_);
  ASSERT_THAT(issuer, IsOk());
  ASSERT_THAT((*issuer)->Refresh(), IsOk());
  int after_start = fetcher_.total();

  // Within the interval since the start-up fetch, an unknown kid fetches nothing.
  EXPECT_THAT((*issuer)->Verify(Token(k2_), clock_.Now()), FailsWith("kid_unknown"));
  EXPECT_EQ(fetcher_.total(), after_start);

  // Later, k2 is unknown: one refetch (discovery + JWKS), which does not have it either.
  clock_.Advance(seconds(30));
  EXPECT_THAT((*issuer)->Verify(Token(k2_), clock_.Now()), FailsWith("kid_unknown"));
  EXPECT_EQ(fetcher_.total(), after_start + 2);
  // Within the interval, made-up kids cause no fetch at all.
  for (int i = 0; i < 20; ++i) {
    EXPECT_THAT((*issuer)->Verify(Token(k2_), clock_.Now()), FailsWith("kid_unknown"));
  }
  EXPECT_EQ(fetcher_.total(), after_start + 2);

  // The issuer rotates to k2; after the interval the next unknown kid picks it up.
  fetcher_.bodies[std::string(kIss) + "/keys"] = JwksOf({&k1_, &k2_});
  clock_.Advance(seconds(30));
  auto jwt = (*issuer)->Verify(Token(k2_), clock_.Now());
  ASSERT_THAT(jwt, IsOk());
  EXPECT_EQ(fetcher_.total(), after_start + 4);
  EXPECT_THAT((*issuer)->Verify(Token(k1_), clock_.Now()), IsOk());
  EXPECT_EQ(fetcher_.total(), after_start + 4);
}

TEST_F(IssuerTest, FailedRefetchKeepsTheLastGoodKeys) {
  IssuerConfig config = Config(KeySourceKind::kJwksUri);
  config.jwks_uri = std::string(kIss) + "/keys";
  fetcher_.bodies[config.jwks_uri] = JwksOf({&k1_});
  auto issuer = Issuer::Create(config, fetcher_, clock_);
  ASSERT_THAT(issuer, IsOk());
  ASSERT_THAT((*issuer)->Refresh(), IsOk());

  fetcher_.bodies.erase(config.jwks_uri);  // the issuer goes down
  clock_.Advance(seconds(60));
  EXPECT_THAT((*issuer)->Refresh(), FailsWith("issuer_keys_unavailable"));
  EXPECT_THAT((*issuer)->Verify(Token(k2_), clock_.Now()), FailsWith("kid_unknown"));
  EXPECT_THAT((*issuer)->Verify(Token(k1_), clock_.Now()), IsOk());
}

TEST_F(IssuerTest, IssuerDownAtStartIsRetriedOnItsFirstToken) {
  fetcher_.bodies.clear();
  auto issuer = Issuer::Create(Config(), fetcher_, clock_);
  ASSERT_THAT(issuer, IsOk());
  EXPECT_THAT((*issuer)->Verify(Token(k1_), clock_.Now()), FailsWith("issuer_keys_unavailable"));
  ServeDiscovery({&k1_});  // the issuer comes back
  // Still within the interval: no new attempt yet.
  EXPECT_THAT((*issuer)->Verify(Token(k1_), clock_.Now()), FailsWith("issuer_keys_unavailable"));
  clock_.Advance(seconds(30));
  EXPECT_THAT((*issuer)->Verify(Token(k1_), clock_.Now()), IsOk());
}

TEST_F(IssuerTest, InlineKeysNeedNoFetchAndFailuresAreInvalidRequest) {
  IssuerConfig config = Config(KeySourceKind::kInline);
  config.inline_jwks = JwksOf({&k1_});
  auto issuer = Issuer::Create(config, fetcher_, clock_);
  ASSERT_THAT(issuer, IsOk());
  EXPECT_THAT((*issuer)->Verify(Token(k1_), clock_.Now()), IsOk());
  auto refused = (*issuer)->Verify(Token(k2_), clock_.Now());
  ASSERT_THAT(refused, FailsWith("kid_unknown"));
  EXPECT_EQ(refused.status().code(), ErrorCode::kInvalidRequest);
  EXPECT_EQ(fetcher_.total(), 0);

  config.inline_jwks = "{\"keys\": 42}";
  EXPECT_EQ(Issuer::Create(config, fetcher_, clock_).status().code(), ErrorCode::kInvalidConfig);
}

TEST_F(IssuerTest, RegistryChoosesByIssAndRefusesStrangers) {
  IssuerConfig config = Config(KeySourceKind::kInline);
  config.inline_jwks = JwksOf({&k1_});
  std::vector<std::unique_ptr<Issuer>> issuers;
  issuers.push_back(Issuer::Create(config, fetcher_, clock_).value());
  auto registry = IssuerRegistry::Build(std::move(issuers));
  ASSERT_THAT(registry, IsOk());

  auto verified = registry->Verify(Token(k1_), clock_.Now());
  ASSERT_THAT(verified, IsOk());
  EXPECT_EQ(verified->first->config().name, "idp");

  auto stranger = registry->Verify(Token(k1_, "https://stranger.example"), clock_.Now());
  ASSERT_THAT(stranger, FailsWith("issuer_untrusted"));
  EXPECT_EQ(stranger.status().code(), ErrorCode::kInvalidRequest);
  EXPECT_EQ(registry->Verify("garbage", clock_.Now()).status().code(), ErrorCode::kInvalidRequest);
  EXPECT_EQ(fetcher_.total(), 0);

  std::vector<std::unique_ptr<Issuer>> twins;
  twins.push_back(Issuer::Create(config, fetcher_, clock_).value());
  twins.push_back(Issuer::Create(config, fetcher_, clock_).value());
  EXPECT_THAT(IssuerRegistry::Build(std::move(twins)), FailsWith("config_invalid"));
}

}  // namespace
}  // namespace signet::trust
