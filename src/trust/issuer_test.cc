#include "trust/issuer.h"

#include <gtest/gtest.h>

#include <atomic>
#include <boost/json/serialize.hpp>
#include <thread>

#include "support/status_matchers.h"
#include "trust/fake_fetcher.h"

namespace signet::trust {
namespace {

using std::chrono::seconds;
using testing::FailsWith;
using testing::FailsWithCode;
using testing::IsOk;

constexpr char kIss[] = "https://idp.example.com";
const std::string kDiscoveryUrl = std::string(kIss) + "/.well-known/openid-configuration";
const std::string kJwksUrl = std::string(kIss) + "/keys";

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

// Issuer::Verify takes the token parsed, as IssuerRegistry hands it over.
Result<jose::VerifiedJwt> VerifyWith(Issuer& issuer, std::string_view token, SystemTime now) {
  SIGNET_ASSIGN_OR_RETURN(jose::ParsedJwt parsed, jose::ParseJwt(token));
  return issuer.Verify(parsed, now);
}

std::string DiscoveryDocument(const std::string& issuer, const std::string& jwks_uri) {
  return boost::json::serialize(boost::json::object{{"issuer", issuer}, {"jwks_uri", jwks_uri}});
}

class IssuerTest : public ::testing::Test {
 protected:
  IssuerTest() : k1_(Key("k1")), k2_(Key("k2")) {
    fetcher_.Serve(kDiscoveryUrl, DiscoveryDocument(kIss, kJwksUrl));
    fetcher_.Serve(kJwksUrl, JwksOf({&k1_}));
  }

  static IssuerConfig Config(KeySourceKind source = KeySourceKind::kDiscovery) {
    IssuerConfig config;
    config.name = "idp";
    config.issuer_url = kIss;
    config.audiences = {"signet"};
    config.key_source = source;
    return config;
  }

  std::unique_ptr<Issuer> Make(IssuerConfig config) {
    auto issuer = Issuer::Create(std::move(config), fetcher_, clock_);
    EXPECT_THAT(issuer, IsOk());
    return issuer.ok() ? std::move(issuer).value() : nullptr;
  }

  // {"alg":"ES256","kid":<kid>} . {"iss":<iss>,"sub":"system:serviceaccount:a:b",
  //  "aud":<aud>,"iat":now,"exp":now+600}
  std::string Token(const jose::SigningKey& key, std::string iss = kIss,
                    std::string aud = "signet") {
    int64_t now = ToUnixSecondsFloor(clock_.Now());
    boost::json::object claims{{"iss", iss},
                               {"sub", "system:serviceaccount:a:b"},
                               {"aud", aud},
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
  auto issuer = Make(Config());
  ASSERT_NE(issuer, nullptr);
  EXPECT_EQ(fetcher_.TotalCalls(), 0);  // Create fetches nothing
  ASSERT_THAT(issuer->Refresh(), IsOk());
  EXPECT_EQ(fetcher_.Calls(kDiscoveryUrl), 1);
  EXPECT_EQ(fetcher_.Calls(kJwksUrl), 1);
  auto jwt = VerifyWith(*issuer, Token(k1_), clock_.Now());
  ASSERT_THAT(jwt, IsOk());
  EXPECT_EQ(jwt->subject(), "system:serviceaccount:a:b");
  EXPECT_EQ(fetcher_.TotalCalls(), 2);
}

TEST_F(IssuerTest, DiscoveryUrlDropsTheIssuersTrailingSlash) {
  IssuerConfig config = Config();
  config.issuer_url = std::string(kIss) + "/";
  fetcher_.Serve(kDiscoveryUrl, DiscoveryDocument(config.issuer_url, kJwksUrl));
  auto issuer = Make(config);
  ASSERT_NE(issuer, nullptr);
  EXPECT_THAT(issuer->Refresh(), IsOk());
  EXPECT_EQ(fetcher_.Calls(kDiscoveryUrl), 1);
}

TEST_F(IssuerTest, DiscoveryNamingAnotherIssuerIsRefused) {
  // The document at the honest issuer's address claims another issuer (OIDC Discovery
  // §4.3): it is not used, not even its jwks_uri.
  fetcher_.Serve(kDiscoveryUrl, DiscoveryDocument("https://evil.example", kJwksUrl));
  auto issuer = Make(Config());
  ASSERT_NE(issuer, nullptr);
  Status refreshed = issuer->Refresh();
  ASSERT_THAT(refreshed,
              FailsWithCode(ErrorCode::kTemporarilyUnavailable, "issuer_keys_unavailable"));
  EXPECT_NE(refreshed.message().find("does not name"), std::string::npos);
  EXPECT_EQ(fetcher_.Calls(kJwksUrl), 0);
  EXPECT_THAT(VerifyWith(*issuer, Token(k1_), clock_.Now()), FailsWith("issuer_keys_unavailable"));

  // Byte for byte: a trailing slash is another issuer too.
  fetcher_.Serve(kDiscoveryUrl, DiscoveryDocument(std::string(kIss) + "/", kJwksUrl));
  EXPECT_THAT(issuer->Refresh(), FailsWith("issuer_keys_unavailable"));
  EXPECT_EQ(fetcher_.Calls(kJwksUrl), 0);
}

TEST_F(IssuerTest, PlainHttpJwksUriOnARemoteHostIsRefused) {
  fetcher_.Serve(kDiscoveryUrl, DiscoveryDocument(kIss, "http://idp.example.com/keys"));
  auto issuer = Make(Config());
  ASSERT_NE(issuer, nullptr);
  Status refreshed = issuer->Refresh();
  EXPECT_THAT(refreshed, FailsWith("issuer_keys_unavailable"));
  EXPECT_NE(refreshed.message().find("must be https"), std::string::npos);
  EXPECT_EQ(fetcher_.Calls("http://idp.example.com/keys"), 0);
}

TEST_F(IssuerTest, PlainHttpOnLoopbackIsAcceptedForDevelopment) {
  IssuerConfig config = Config();
  config.issuer_url = "http://127.0.0.1:9000";
  fetcher_.Serve("http://127.0.0.1:9000/.well-known/openid-configuration",
                 DiscoveryDocument(config.issuer_url, "http://127.0.0.1:9000/keys"));
  fetcher_.Serve("http://127.0.0.1:9000/keys", JwksOf({&k1_}));
  auto issuer = Make(config);
  ASSERT_NE(issuer, nullptr);
  ASSERT_THAT(issuer->Refresh(), IsOk());
  EXPECT_THAT(VerifyWith(*issuer, Token(k1_, config.issuer_url), clock_.Now()), IsOk());
}

TEST_F(IssuerTest, UnknownKidRefetchesOnceThenIsRateLimited) {
  auto issuer = Make(Config());
  ASSERT_NE(issuer, nullptr);
  ASSERT_THAT(issuer->Refresh(), IsOk());
  int after_start = fetcher_.TotalCalls();

  // Within the interval since the start-up fetch, an unknown kid fetches nothing.
  EXPECT_THAT(VerifyWith(*issuer, Token(k2_), clock_.Now()), FailsWith("kid_unknown"));
  EXPECT_EQ(fetcher_.TotalCalls(), after_start);

  // Later, k2 is unknown: one refetch (discovery + JWKS), which does not have it either.
  clock_.Advance(seconds(30));
  EXPECT_THAT(VerifyWith(*issuer, Token(k2_), clock_.Now()), FailsWith("kid_unknown"));
  EXPECT_EQ(fetcher_.TotalCalls(), after_start + 2);
  // Within the interval, unknown kids cause no fetch at all.
  for (int i = 0; i < 20; ++i) {
    EXPECT_THAT(VerifyWith(*issuer, Token(k2_), clock_.Now()), FailsWith("kid_unknown"));
  }
  EXPECT_EQ(fetcher_.TotalCalls(), after_start + 2);

  // The issuer rotates to k2; after the interval the next unknown kid picks it up.
  fetcher_.Serve(kJwksUrl, JwksOf({&k1_, &k2_}));
  clock_.Advance(seconds(30));
  EXPECT_THAT(VerifyWith(*issuer, Token(k2_), clock_.Now()), IsOk());
  EXPECT_EQ(fetcher_.TotalCalls(), after_start + 4);
  EXPECT_THAT(VerifyWith(*issuer, Token(k1_), clock_.Now()), IsOk());
  EXPECT_EQ(fetcher_.TotalCalls(), after_start + 4);
}

// Each token counts once: a hit when the keys held served it, a miss when a fetch was
// needed first (whether or not one could run within the rate limit).
TEST_F(IssuerTest, CountsKeyCacheHitsAndMisses) {
  Counter hits;
  Counter misses;
  auto created = Issuer::Create(Config(), fetcher_, clock_, KeyCacheCounters{&hits, &misses});
  ASSERT_THAT(created, IsOk());
  Issuer& issuer = **created;
  EXPECT_THAT(VerifyWith(issuer, Token(k1_), clock_.Now()), IsOk());  // no keys yet
  EXPECT_EQ(misses.Value(), 1u);
  EXPECT_EQ(hits.Value(), 0u);
  EXPECT_THAT(VerifyWith(issuer, Token(k1_), clock_.Now()), IsOk());
  EXPECT_THAT(VerifyWith(issuer, Token(k1_), clock_.Now()), IsOk());
  EXPECT_EQ(hits.Value(), 2u);
  EXPECT_THAT(VerifyWith(issuer, Token(k2_), clock_.Now()), FailsWith("kid_unknown"));
  EXPECT_EQ(misses.Value(), 2u);
  EXPECT_EQ(hits.Value(), 2u);
}

TEST_F(IssuerTest, ConcurrentUnknownKidsShareOneFetch) {
  // STANDARDS.md §17 item 27: a burst of unknown-kid tokens causes one refetch
  // (single flight), and a second burst inside the interval none.
  auto issuer = Make(Config());
  ASSERT_NE(issuer, nullptr);
  ASSERT_THAT(issuer->Refresh(), IsOk());
  clock_.Advance(seconds(30));
  int before = fetcher_.TotalCalls();
  std::string token = Token(k2_);
  auto burst = [&] {
    std::atomic<int> unknown{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 8; ++t) {
      threads.emplace_back([&] {
        for (int i = 0; i < 25; ++i) {
          if (VerifyWith(*issuer, token, clock_.Now()).status().reason() == "kid_unknown") {
            ++unknown;
          }
        }
      });
    }
    for (auto& thread : threads) {
      thread.join();
    }
    return unknown.load();
  };
  EXPECT_EQ(burst(), 200);
  EXPECT_EQ(fetcher_.TotalCalls(), before + 2);  // one discovery, one JWKS
  EXPECT_EQ(burst(), 200);
  EXPECT_EQ(fetcher_.TotalCalls(), before + 2);
}

TEST_F(IssuerTest, FailedRefetchKeepsTheLastGoodKeys) {
  IssuerConfig config = Config(KeySourceKind::kJwksUri);
  config.jwks_uri = kJwksUrl;
  auto issuer = Make(config);
  ASSERT_NE(issuer, nullptr);
  ASSERT_THAT(issuer->Refresh(), IsOk());

  fetcher_.Fail(kJwksUrl);  // the issuer goes down
  clock_.Advance(seconds(60));
  EXPECT_THAT(issuer->Refresh(), FailsWith("issuer_keys_unavailable"));
  clock_.Advance(seconds(60));
  EXPECT_THAT(VerifyWith(*issuer, Token(k2_), clock_.Now()), FailsWith("kid_unknown"));
  EXPECT_EQ(fetcher_.Calls(kJwksUrl), 3);  // start, Refresh, the unknown kid's refetch
  EXPECT_THAT(VerifyWith(*issuer, Token(k1_), clock_.Now()), IsOk());
}

TEST_F(IssuerTest, SuccessfulRefetchThatDropsAKeyRevokesIt) {
  // STANDARDS.md §17 item 43.
  fetcher_.Serve(kJwksUrl, JwksOf({&k1_, &k2_}));
  auto issuer = Make(Config());
  ASSERT_NE(issuer, nullptr);
  ASSERT_THAT(issuer->Refresh(), IsOk());
  EXPECT_THAT(VerifyWith(*issuer, Token(k1_), clock_.Now()), IsOk());
  fetcher_.Serve(kJwksUrl, JwksOf({&k2_}));
  ASSERT_THAT(issuer->Refresh(), IsOk());
  EXPECT_THAT(VerifyWith(*issuer, Token(k1_), clock_.Now()), FailsWith("kid_unknown"));
  EXPECT_THAT(VerifyWith(*issuer, Token(k2_), clock_.Now()), IsOk());
}

TEST_F(IssuerTest, KeysOlderThanMaxAgeAreRefetchedSoAWithdrawnKeyStopsWorking) {
  IssuerConfig config = Config();
  config.keys_max_age = seconds(300);
  auto issuer = Make(config);
  ASSERT_NE(issuer, nullptr);
  ASSERT_THAT(issuer->Refresh(), IsOk());
  fetcher_.Serve(kJwksUrl, JwksOf({&k2_}));  // the issuer withdraws k1

  clock_.Advance(seconds(299));
  EXPECT_THAT(VerifyWith(*issuer, Token(k1_), clock_.Now()), IsOk());  // still cached
  EXPECT_EQ(fetcher_.TotalCalls(), 2);
  clock_.Advance(seconds(1));
  EXPECT_THAT(VerifyWith(*issuer, Token(k1_), clock_.Now()), FailsWith("kid_unknown"));
  EXPECT_EQ(fetcher_.TotalCalls(), 4);

  // While the issuer is down, the stale keys keep serving, one attempt per interval.
  fetcher_.FailAll();
  clock_.Advance(seconds(300));
  EXPECT_THAT(VerifyWith(*issuer, Token(k2_), clock_.Now()), IsOk());
  EXPECT_THAT(VerifyWith(*issuer, Token(k2_), clock_.Now()), IsOk());
  EXPECT_EQ(fetcher_.TotalCalls(), 5);  // the failed discovery GET, once
}

TEST_F(IssuerTest, IssuerDownAtStartIsRetriedOnItsFirstToken) {
  fetcher_.FailAll();
  auto issuer = Make(Config());
  ASSERT_NE(issuer, nullptr);
  EXPECT_THAT(issuer->Refresh(), FailsWith("issuer_keys_unavailable"));
  auto refused = VerifyWith(*issuer, Token(k1_), clock_.Now());
  EXPECT_THAT(refused,
              FailsWithCode(ErrorCode::kTemporarilyUnavailable, "issuer_keys_unavailable"));
  fetcher_.Serve(kDiscoveryUrl, DiscoveryDocument(kIss, kJwksUrl));  // the issuer comes back
  fetcher_.Serve(kJwksUrl, JwksOf({&k1_}));
  // Still within the interval of the failed attempt: no new attempt yet.
  EXPECT_THAT(VerifyWith(*issuer, Token(k1_), clock_.Now()), FailsWith("issuer_keys_unavailable"));
  EXPECT_EQ(fetcher_.TotalCalls(), 1);
  clock_.Advance(seconds(30));
  EXPECT_THAT(VerifyWith(*issuer, Token(k1_), clock_.Now()), IsOk());
}

TEST_F(IssuerTest, InlineKeysNeedNoFetch) {
  IssuerConfig config = Config(KeySourceKind::kInline);
  config.inline_jwks = JwksOf({&k1_});
  auto issuer = Make(config);
  ASSERT_NE(issuer, nullptr);
  EXPECT_THAT(issuer->Refresh(), IsOk());
  EXPECT_THAT(VerifyWith(*issuer, Token(k1_), clock_.Now()), IsOk());
  clock_.Advance(seconds(3600));
  EXPECT_THAT(VerifyWith(*issuer, Token(k2_), clock_.Now()), FailsWith("kid_unknown"));
  EXPECT_EQ(fetcher_.TotalCalls(), 0);
}

TEST_F(IssuerTest, RefusedTokensAreInvalidRequestWithJosesReason) {
  IssuerConfig config = Config(KeySourceKind::kInline);
  config.inline_jwks = JwksOf({&k1_});
  auto issuer = Make(config);
  ASSERT_NE(issuer, nullptr);
  struct Case {
    std::string token;
    SystemTime at;
    std::string reason;
  };
  SystemTime now = clock_.Now();
  for (const auto& [token, at, reason] : std::vector<Case>{
           {Token(k1_), now + seconds(3600), "expired"},
           {Token(k1_, kIss, "someone-else"), now, "aud_mismatch"},
           {Token(k2_), now, "kid_unknown"},
           {Token(k1_, "https://idp.example.com/"), now, "iss_mismatch"},
       }) {
    auto refused = VerifyWith(*issuer, token, at);
    EXPECT_THAT(refused, FailsWithCode(ErrorCode::kInvalidRequest, reason));
    EXPECT_FALSE(refused.status().message().empty());
  }
}

TEST_F(IssuerTest, CreateRefusesUnusableSettingsNamingTheIssuer) {
  std::vector<IssuerConfig> bad;
  bad.push_back(Config());
  bad.back().issuer_url = "http://idp.example.com";  // discovery over plain http
  bad.push_back(Config(KeySourceKind::kJwksUri));
  bad.back().jwks_uri = "http://idp.example.com/keys";
  bad.push_back(Config());
  bad.back().audiences.clear();
  bad.push_back(Config());
  bad.back().refetch_interval = seconds(0);
  bad.push_back(Config());
  bad.back().keys_max_age = seconds(-1);
  bad.push_back(Config());
  bad.back().leeway = seconds(3600);
  bad.push_back(Config(KeySourceKind::kInline));
  bad.back().inline_jwks = R"({"keys": 42})";
  bad.push_back(Config(KeySourceKind::kInline));
  bad.back().inline_jwks = R"({"keys": []})";
  for (const IssuerConfig& config : bad) {
    auto issuer = Issuer::Create(config, fetcher_, clock_);
    ASSERT_FALSE(issuer.ok());
    EXPECT_EQ(issuer.status().code(), ErrorCode::kInvalidConfig) << issuer.status().ToString();
    EXPECT_NE(issuer.status().message().find("issuer idp"), std::string::npos)
        << issuer.status().ToString();
  }
  EXPECT_EQ(fetcher_.TotalCalls(), 0);
}

}  // namespace
}  // namespace signet::trust
