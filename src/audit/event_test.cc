#include "audit/event.h"

#include <gtest/gtest.h>

#include "support/status_matchers.h"

namespace signet::audit {
namespace {

using ::signet::testing::FailsWith;
using ::signet::testing::FailsWithCode;
using ::signet::testing::IsOk;

Event AllowEvent() {
  Event e;
  e.time = FromUnixSeconds(1'700'000'000);
  e.request_id = "req-1";
  e.client_address = "127.0.0.1";
  e.upstream_issuer = "https://token.actions.githubusercontent.com";
  e.upstream_subject = "repo:acme/app:ref:refs/heads/main";
  e.workload = "acme-app";
  e.destination = "anthropic";
  e.policy = "ci-may-call-claude";
  e.decision = "allow";
  e.jti = "abc123";
  e.expires_at = FromUnixSeconds(1'700'000'300);
  return e;
}

void ExpectSameEvent(const Event& a, const Event& b) {
  EXPECT_EQ(a.time, b.time);
  EXPECT_EQ(a.request_id, b.request_id);
  EXPECT_EQ(a.client_address, b.client_address);
  EXPECT_EQ(a.upstream_issuer, b.upstream_issuer);
  EXPECT_EQ(a.upstream_subject, b.upstream_subject);
  EXPECT_EQ(a.workload, b.workload);
  EXPECT_EQ(a.destination, b.destination);
  EXPECT_EQ(a.policy, b.policy);
  EXPECT_EQ(a.decision, b.decision);
  EXPECT_EQ(a.error, b.error);
  EXPECT_EQ(a.reason, b.reason);
  EXPECT_EQ(a.detail, b.detail);
  EXPECT_EQ(a.jti, b.jti);
  EXPECT_EQ(a.version, b.version);
  EXPECT_EQ(a.action, b.action);
  EXPECT_EQ(a.actor, b.actor);
  EXPECT_EQ(a.target, b.target);
  EXPECT_EQ(a.config_before, b.config_before);
  EXPECT_EQ(a.config_after, b.config_after);
  EXPECT_EQ(a.expires_at, b.expires_at);
}

TEST(EventTest, AllowSerializesInTheFixedFormat) {
  EXPECT_EQ(SerializeEvent(AllowEvent()),
            R"({"v":2,"time":"2023-11-14T22:13:20Z","request_id":"req-1",)"
            R"("client_address":"127.0.0.1",)"
            R"("upstream_issuer":"https://token.actions.githubusercontent.com",)"
            R"("upstream_subject":"repo:acme/app:ref:refs/heads/main","workload":"acme-app",)"
            R"("destination":"anthropic","policy":"ci-may-call-claude","decision":"allow",)"
            R"("error":"","reason":"","detail":"","jti":"abc123","action":"token_exchange",)"
            R"("actor":"","target":"","config_before":"","config_after":"",)"
            R"("expires_at":"2023-11-14T22:18:20Z"})");
}

TEST(EventTest, EmptyEventKeepsEveryMemberAndNullExpiry) {
  Event e;
  e.time = FromUnixSeconds(0);
  EXPECT_EQ(SerializeEvent(e),
            R"({"v":2,"time":"1970-01-01T00:00:00Z","request_id":"","client_address":"",)"
            R"("upstream_issuer":"","upstream_subject":"","workload":"","destination":"",)"
            R"("policy":"","decision":"","error":"","reason":"","detail":"","jti":"",)"
            R"("action":"token_exchange","actor":"","target":"","config_before":"",)"
            R"("config_after":"","expires_at":null})");
}

// Trails written before admin changes were audited hold version 1 records; they must
// still parse and serialize back to the same bytes, or their chain would not verify.
TEST(EventTest, VersionOneRecordsRoundTripUnchanged) {
  const std::string v1 =
      R"({"v":1,"time":"2023-11-14T22:13:20Z","request_id":"req-1","client_address":"",)"
      R"("upstream_issuer":"","upstream_subject":"","workload":"w","destination":"",)"
      R"("policy":"","decision":"deny","error":"","reason":"","detail":"","jti":"",)"
      R"("expires_at":null})";
  auto parsed = ParseEvent(v1);
  ASSERT_THAT(parsed, IsOk());
  EXPECT_EQ(parsed->version, 1);
  EXPECT_EQ(parsed->workload, "w");
  EXPECT_EQ(parsed->action, "");
  EXPECT_EQ(SerializeEvent(*parsed), v1);
  // A version 1 record with version 2's members is neither.
  std::string mixed = v1;
  mixed.replace(mixed.find(R"("expires_at")"), 0, R"("action":"x",)");
  EXPECT_THAT(ParseEvent(mixed), FailsWith("audit_record_invalid"));
}

TEST(EventTest, AdminChangeRoundTrips) {
  Event e;
  e.time = FromUnixSeconds(1'700'000'000);
  e.action = "suspend_workload";
  e.actor = "tok-1";
  e.target = "billing";
  e.detail = "incident 42";
  e.config_before = "3";
  e.config_after = "4";
  auto parsed = ParseEvent(SerializeEvent(e));
  ASSERT_THAT(parsed, IsOk());
  ExpectSameEvent(*parsed, e);
}

TEST(EventTest, RoundTripsThroughParse) {
  Event deny = AllowEvent();
  deny.decision = "deny";
  deny.error = "invalid_grant";
  deny.reason = "expired";
  deny.detail = "token expired 42 s ago; \"quoted\" \\ back\nslash\ttab\x01\x7f é 漢 😀";
  deny.jti.clear();
  deny.expires_at.reset();
  for (const Event& e : {AllowEvent(), deny}) {
    std::string record = SerializeEvent(e);
    auto parsed = ParseEvent(record);
    ASSERT_THAT(parsed, IsOk()) << record;
    ExpectSameEvent(*parsed, e);
    EXPECT_EQ(SerializeEvent(*parsed), record);
  }
}

TEST(EventTest, ControlCharactersAreEscaped) {
  Event e;
  e.detail = std::string("a\nb\x01\x0b\0c", 7);
  std::string record = SerializeEvent(e);
  EXPECT_NE(record.find(R"("detail":"a\nb\u0001\u000b\u0000c")"), std::string::npos) << record;
}

TEST(EventTest, InvalidUtf8BecomesReplacementCharacter) {
  Event e;
  e.request_id =
      "a\xff"
      "b\xc0\xaf"
      "c\xed\xa0\x80"
      "d\xe2\x82";  // stray, overlong, surrogate, cut
  std::string record = SerializeEvent(e);
  auto parsed = ParseEvent(record);
  ASSERT_THAT(parsed, IsOk()) << record;
  EXPECT_EQ(parsed->request_id,
            "a\uFFFD"
            "b\uFFFD\uFFFD"
            "c\uFFFD\uFFFD\uFFFD"
            "d\uFFFD\uFFFD");
}

TEST(EventTest, SubSecondTimesAreTruncated) {
  Event e;
  e.time = FromUnixSeconds(1'700'000'000) + std::chrono::milliseconds(999);
  auto parsed = ParseEvent(SerializeEvent(e));
  ASSERT_THAT(parsed, IsOk());
  EXPECT_EQ(parsed->time, FromUnixSeconds(1'700'000'000));
}

TEST(EventTest, ParseRefusesOtherShapes) {
  std::string good = SerializeEvent(AllowEvent());
  auto replaced = [&](std::string_view from, std::string_view to) {
    std::string r = good;
    size_t at = r.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    return r.replace(at, from.size(), to);
  };
  const std::string bad[] = {
      "",
      "[]",
      good + " x",
      replaced(R"("v":2)", R"("v":3)"),
      replaced(R"("v":2)", R"("v":0)"),
      replaced(R"("v":2)", R"("v":1)"),  // version 1 has fewer members
      replaced(R"("v":2)", R"("v":"2")"),
      replaced(R"("actor":"",)", ""),
      replaced(R"("jti":"abc123",)", ""),                               // missing
      replaced(R"("jti":"abc123",)", R"("jti":"abc123","extra":"",)"),  // extra
      replaced(R"("jti":"abc123",)", R"("jti":"abc123","jti":"x",)"),   // duplicate
      replaced(R"("workload":"acme-app")", R"("workload":7)"),
      replaced(R"("expires_at":"2023-11-14T22:18:20Z")", R"("expires_at":1700000300)"),
      replaced("2023-11-14T22:13:20Z", "2023-11-14T22:13:20.5Z"),
      replaced("2023-11-14T22:13:20Z", "2023-11-14T22:13:20+00:00"),
      replaced("2023-11-14T22:13:20Z", "2023-02-30T22:13:20Z"),
      replaced("2023-11-14T22:13:20Z", "2023-11-14T24:00:00Z"),
      replaced("2023-11-14T22:13:20Z", "2023-11-14 22:13:20Z"),
      replaced("2023-11-14T22:13:20Z", "9999-11-14T22:13:20Z"),
  };
  for (const std::string& record : bad) {
    EXPECT_THAT(ParseEvent(record), FailsWithCode(ErrorCode::kServerError, "audit_record_invalid"))
        << record;
  }
}

}  // namespace
}  // namespace signet::audit
