// Every hostile token of the §17 negative suite that can be presented as a subject token
// (hostile_tokens.h), presented to one real signetd over HTTP: each is refused with HTTP
// 400 invalid_request, a description that does not echo it, and exactly one deny audit
// record carrying the expected reason (exchange_backend.h checks all of that per
// request); and no token makes signetd connect to a URL it names. A canary listener's
// URL is in every place a token can carry one (jku, x5u, an embedded jwk's x5u, kid,
// iss, aud, and claims of an accepted token), and must see no connection.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <set>
#include <string>

#include "common/clock.h"
#include "exchange_backend.h"
#include "jose/jwk.h"
#include "jose/jwt.h"
#include "jose/reasons.h"
#include "support/hostile_tokens.h"
#include "support/status_matchers.h"

namespace signet::testing {
namespace {

using std::chrono::seconds;

constexpr std::string_view kIssuer = "https://issuer.example";
constexpr std::string_view kSubject = "workload-a";
constexpr std::string_view kAudience = "signet";
constexpr int64_t kLeeway = 30;
constexpr int64_t kMaxLifetime = 24 * 3600;

jose::SigningKey MakeKey(jose::Algorithm alg, std::string kid) {
  Result<jose::SigningKey> key = jose::SigningKey::GenerateForTesting(alg, std::move(kid));
  EXPECT_THAT(key, IsOk());
  return std::move(key).value();
}

// The reason signetd gives where it refuses a token earlier than a lone JwtVerifier
// with the issuer's rules would. Every one is still invalid_request.
std::string ExpectedOverHttp(const HostileToken& hostile) {
  // An empty form field is an absent one (RFC 6749 §3.1): the token endpoint refuses it
  // before there is a token to check.
  if (hostile.token.empty()) {
    return "subject_token_missing";
  }
  // signetd chooses the issuer by the unverified `iss`; one that names no configured
  // issuer exactly (the canary URL among them) is untrusted before its keys or rules
  // come into play, where a verifier built for one issuer says iss_mismatch.
  if (hostile.reason == jose::reason::kIssMismatch) {
    return "issuer_untrusted";
  }
  // Choosing the issuer needs the claims: an empty payload fails to parse before the
  // (copied) signature is ever checked.
  if (hostile.name == "item02_empty_payload_real_signature") {
    return "json_malformed";
  }
  return hostile.reason;
}

// Connects to 127.0.0.1:`port` and hangs up: what a fetch of the canary URL would begin with.
void ConnectOnce(uint16_t port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(port);
  EXPECT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  close(fd);
}

TEST(HostileExchangeTest, EveryHostileSubjectTokenRefusedWithoutOutboundRequests) {
  LoopbackListener canary;
  ASSERT_TRUE(canary.ok());
  // The canary notices a connection (so its zero counts below mean none was made).
  ConnectOnce(canary.port());
  ASSERT_EQ(canary.AcceptPending(), 1);

  jose::SigningKey es256 = MakeKey(jose::Algorithm::kES256, "es-1");
  jose::SigningKey es256_second = MakeKey(jose::Algorithm::kES256, "es-2");
  jose::SigningKey rs256 = MakeKey(jose::Algorithm::kRS256, "rs-1");
  jose::SigningKey eddsa = MakeKey(jose::Algorithm::kEdDSA, "ed-1");
  jose::SigningKey es384 = MakeKey(jose::Algorithm::kES384, "es384-1");
  jose::SigningKey attacker = MakeKey(jose::Algorithm::kES256, "attacker-1");

  // signetd checks tokens against its own (real) clock, so they are made around the real
  // time; the catalogue keeps its time checks an hour from every limit.
  const int64_t now = ToUnixSecondsFloor(Clock::Real().Now());
  HostileTokenSetting setting;
  setting.issuer = kIssuer;
  setting.subject = kSubject;
  setting.audience = kAudience;
  setting.now = now;
  setting.leeway = kLeeway;
  setting.max_lifetime = kMaxLifetime;
  setting.es256 = &es256;
  setting.es256_second = &es256_second;
  setting.rs256 = &rs256;
  setting.eddsa = &eddsa;
  setting.es384 = &es384;
  setting.attacker = &attacker;
  setting.canary_url = canary.Url("");
  HostileTokenSet set = MakeHostileTokens(setting);

  // The catalogue covers every §17 item with a subject-token form.
  std::set<int> items;
  std::set<std::string> names;
  for (const HostileToken& hostile : set.tokens) {
    items.insert(hostile.item);
    EXPECT_TRUE(names.insert(hostile.name).second) << "duplicate name " << hostile.name;
  }
  EXPECT_EQ(items, (std::set<int>{1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12, 13,
                                  14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26,
                                  28, 29, 30, 31, 32, 33, 34, 35, 36, 38, 39, 40, 44}));

  // In process first: the issuer's rules and keys refuse each token for the reason the
  // catalogue names, so the answers below are about the check that fires, not a typo.
  Result<jose::Jwks> keys = jose::Jwks::Parse(set.jwks_json);
  ASSERT_THAT(keys, IsOk());
  jose::JwtValidator::Builder rules;
  rules.ExpectIssuer(std::string(kIssuer))
      .ExpectAudience(std::string(kAudience))
      .AllowAlgorithms({jose::Algorithm::kES256, jose::Algorithm::kRS256, jose::Algorithm::kEdDSA})
      .SetLeeway(seconds(kLeeway))
      .SetMaxLifetime(seconds(kMaxLifetime));
  Result<jose::JwtValidator> validator = rules.Build();
  ASSERT_THAT(validator, IsOk());
  jose::JwtVerifier verifier(std::move(validator).value());
  ASSERT_THAT(verifier.Verify(set.good_token, *keys, FromUnixSeconds(now)), IsOk());
  for (const HostileToken& hostile : set.tokens) {
    EXPECT_THAT(verifier.Verify(hostile.token, *keys, FromUnixSeconds(now)),
                FailsWith(hostile.reason))
        << hostile.name;
  }

  ExchangeBackend signetd({std::string(kIssuer), set.jwks_json, set.algorithms, kLeeway,
                           kMaxLifetime, std::string(kSubject), std::string(kAudience)});

  // The positive control: the same signetd exchanges the good token, so the refusals
  // below are the tokens' doing. URLs in its claims are data, never fetched.
  ASSERT_THAT(signetd.Present(set.good_token), IsOk());
  EXPECT_THAT(signetd.Present(set.good_token_with_url_claims), IsOk());
  EXPECT_EQ(canary.AcceptPending(), 0) << "an accepted token's claims were fetched";

  for (const HostileToken& hostile : set.tokens) {
    SCOPED_TRACE(hostile.name);
    Status answer = signetd.Present(hostile.token);
    EXPECT_FALSE(answer.ok()) << "signetd accepted it";
    EXPECT_EQ(answer.code(), ErrorCode::kInvalidRequest);
    EXPECT_EQ(answer.reason(), ExpectedOverHttp(hostile)) << answer.message();
    // signetd answers only after the token has been checked, so a connection it made
    // while checking is queued at the canary by now.
    EXPECT_EQ(canary.AcceptPending(), 0) << "signetd connected to a URL named in the token";
  }
}

}  // namespace
}  // namespace signet::testing
