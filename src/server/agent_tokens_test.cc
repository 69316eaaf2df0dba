#include "server/agent_tokens.h"

#include <gtest/gtest.h>

#include "common/sha256.h"
#include "support/status_matchers.h"
#include "support/temp_dir.h"

namespace signet::server {
namespace {

using std::chrono::seconds;
using testing::FailsWith;
using testing::FailsWithCode;
using testing::IsOk;

constexpr std::string_view kIssuer = "https://signet.test";

class AgentTokensTest : public ::testing::Test {
 protected:
  AgentTokensTest()
      : key_(std::make_shared<const jose::SigningKey>(
            jose::SigningKey::GenerateForTesting(jose::Algorithm::kES256, "signet").value())),
        jwks_(std::make_shared<const jose::Jwks>(jose::Jwks({key_->public_jwk()}))) {
    auto tokens = AgentTokens::Create(
        std::string(kIssuer), credentials::FixedSigningKey(key_), [this] { return jwks_; }, clock_,
        random_);
    EXPECT_THAT(tokens, IsOk());
    tokens_ = std::move(tokens).value();
  }

  Result<jose::VerifiedJwt> Verify(const std::string& token) const {
    return tokens_->Verify("Bearer " + token);
  }

  // A validator for Signet's other JWTs: `typ` at+jwt (its access tokens), or none (what a
  // configured issuer accepts as a subject token).
  Result<jose::VerifiedJwt> VerifyAs(const std::string& token, std::optional<std::string> typ,
                                     const std::string& audience) const {
    jose::JwtValidator::Builder builder;
    builder.ExpectIssuer(std::string(kIssuer))
        .ExpectAudience(audience)
        .AllowAlgorithms({jose::Algorithm::kES256});
    if (typ) {
      builder.ExpectType(*typ);
    }
    return jose::JwtVerifier(builder.Build().value()).Verify(token, *jwks_, clock_.Now());
  }

  SimulatedClock clock_;
  SeededRandom random_{7};
  std::shared_ptr<const jose::SigningKey> key_;
  std::shared_ptr<const jose::Jwks> jwks_;
  std::unique_ptr<AgentTokens> tokens_;
};

TEST_F(AgentTokensTest, IssuedTokenNamesTheAgentForAnHour) {
  auto issued = tokens_->Issue("node-a");
  ASSERT_THAT(issued, IsOk());
  EXPECT_EQ(issued->expires_at, clock_.Now() + seconds(3600));
  auto verified = Verify(issued->token);
  ASSERT_THAT(verified, IsOk());
  EXPECT_EQ(verified->subject(), "node-a");
  EXPECT_EQ(verified->issuer(), kIssuer);
  EXPECT_EQ(verified->audiences(), std::vector<std::string>{"https://signet.test/v1/agents"});
  EXPECT_EQ(verified->type(), "signet-agent+jwt");
  EXPECT_EQ(verified->jwt_id(), issued->jti);
  EXPECT_EQ(verified->expires_at(), issued->expires_at);

  clock_.Advance(seconds(3600 + 31));  // past exp and the leeway
  EXPECT_THAT(Verify(issued->token), FailsWithCode(ErrorCode::kInvalidToken, "expired"));
}

// The typ and the aud of an agent token are those of no other token Signet signs or
// accepts, so neither passes for the other.
TEST_F(AgentTokensTest, AgentTokensAndSignetsOtherTokensDoNotPassForEachOther) {
  auto agent = tokens_->Issue("node-a");
  ASSERT_THAT(agent, IsOk());
  const std::string agents_audience = "https://signet.test/v1/agents";
  EXPECT_FALSE(VerifyAs(agent->token, "at+jwt", agents_audience).ok());
  EXPECT_FALSE(VerifyAs(agent->token, std::nullopt, agents_audience).ok());

  int64_t now = ToUnixSecondsFloor(clock_.Now());
  boost::json::object claims{{"iss", kIssuer}, {"sub", "node-a"},  {"aud", agents_audience},
                             {"iat", now},     {"exp", now + 600}, {"jti", "j"}};
  for (std::string_view typ : {"at+jwt", "JWT", ""}) {
    auto other = jose::SignJwt(*key_, claims, typ);
    ASSERT_THAT(other, IsOk());
    EXPECT_THAT(Verify(*other), FailsWithCode(ErrorCode::kInvalidToken, "typ_mismatch"))
        << "typ " << typ;
  }
  claims["aud"] = "https://orders.test";
  auto other_audience = jose::SignJwt(*key_, claims, kAgentTokenType);
  ASSERT_THAT(other_audience, IsOk());
  EXPECT_THAT(Verify(*other_audience), FailsWith("aud_mismatch"));
}

TEST_F(AgentTokensTest, VerifyWantsABearerAgentToken) {
  EXPECT_THAT(tokens_->Verify(std::nullopt),
              FailsWithCode(ErrorCode::kInvalidToken, "agent_token_missing"));
  auto issued = tokens_->Issue("node-a");
  ASSERT_THAT(issued, IsOk());
  EXPECT_THAT(tokens_->Verify("Basic " + issued->token),
              FailsWithCode(ErrorCode::kInvalidToken, "agent_token_malformed"));
  EXPECT_THAT(tokens_->Verify("bearer " + issued->token), IsOk());
  EXPECT_FALSE(tokens_->Verify("Bearer not-a-jwt").ok());
}

class JoinTokenTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = store::OpenSqliteStore(dir_.File("signet.db"));
    ASSERT_THAT(store, IsOk());
    store_ = std::move(store).value();
  }

  testing::TempDir dir_;
  std::unique_ptr<store::Store> store_;
  SimulatedClock clock_;
  SeededRandom random_{9};
};

TEST_F(JoinTokenTest, JoinsOnceAsTheAgentItWasMadeFor) {
  auto issued = CreateJoinToken(*store_, random_, clock_, "node-a", seconds(3600), "admin-1");
  ASSERT_THAT(issued, IsOk());
  std::string token(issued->token.Reveal(SecretAccess::Grant()));
  EXPECT_TRUE(token.starts_with("sjt_"));
  EXPECT_EQ(token.size(), 4u + 43u);  // 32 bytes, base64url without padding
  EXPECT_EQ(issued->row.token_hash, Sha256Hex(token));
  EXPECT_EQ(issued->row.agent, "node-a");
  EXPECT_EQ(issued->row.actor, "admin-1");
  EXPECT_EQ(issued->row.expires_at, ToUnixSecondsFloor(clock_.Now()) + 3600);

  auto redeemed = RedeemJoinToken(*store_, clock_, token);
  ASSERT_THAT(redeemed, IsOk());
  EXPECT_EQ(redeemed->agent, "node-a");
  EXPECT_EQ(redeemed->id, issued->row.id);
  EXPECT_THAT(RedeemJoinToken(*store_, clock_, token),
              FailsWithCode(ErrorCode::kInvalidClient, "join_token_used"));
}

TEST_F(JoinTokenTest, RefusesWhatIsNotAGoodJoinToken) {
  auto issued = CreateJoinToken(*store_, random_, clock_, "node-a", seconds(60), "admin-1");
  ASSERT_THAT(issued, IsOk());
  std::string token(issued->token.Reveal(SecretAccess::Grant()));
  auto unknown = RedeemJoinToken(*store_, clock_, "signet_admin.x.y");
  ASSERT_THAT(unknown, FailsWithCode(ErrorCode::kInvalidClient, "join_token_unknown"));
  EXPECT_EQ(unknown.status().message().find("signet_admin"), std::string::npos);
  EXPECT_THAT(RedeemJoinToken(*store_, clock_, token + "x"), FailsWith("join_token_unknown"));
  clock_.Advance(seconds(60));
  EXPECT_THAT(RedeemJoinToken(*store_, clock_, token), FailsWith("join_token_expired"));

  EXPECT_THAT(CreateJoinToken(*store_, random_, clock_, "Node A", seconds(60), "admin-1"),
              FailsWith("agent_name_invalid"));
  EXPECT_THAT(CreateJoinToken(*store_, random_, clock_, "node-a", seconds(86401), "admin-1"),
              FailsWith("join_token_ttl_invalid"));
  EXPECT_THAT(CreateJoinToken(*store_, random_, clock_, "node-a", seconds(0), "admin-1"),
              FailsWith("join_token_ttl_invalid"));
}

}  // namespace
}  // namespace signet::server
