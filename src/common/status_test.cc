#include "common/status.h"

#include <gtest/gtest.h>

#include "support/status_matchers.h"

namespace signet {
namespace {

using testing::FailsWith;
using testing::FailsWithCode;
using testing::IsOk;

Result<int> Half(int n) {
  if (n % 2 != 0) {
    return Status(ErrorCode::kInvalidRequest, "odd", "cannot halve an odd number");
  }
  return n / 2;
}

Result<int> Quarter(int n) {
  SIGNET_ASSIGN_OR_RETURN(int half, Half(n));
  SIGNET_ASSIGN_OR_RETURN(int quarter, Half(half));
  return quarter;
}

Status CheckEven(int n) {
  SIGNET_RETURN_IF_ERROR(Half(n));
  return Status::Ok();
}

TEST(StatusTest, DefaultIsOkAndPrintsOk) {
  Status s;
  EXPECT_TRUE(s.ok());
  EXPECT_EQ(s.code(), ErrorCode::kOk);
  EXPECT_EQ(s.reason(), "");
  EXPECT_EQ(s.ToString(), "OK");
}

TEST(StatusTest, ErrorCarriesCodeReasonAndMessage) {
  Status s(ErrorCode::kInvalidToken, "expired", "token expired 3 s ago");
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.ToString(), "invalid_token (expired): token expired 3 s ago");
  Status copy = s;
  EXPECT_EQ(copy.reason(), "expired");
  EXPECT_EQ(s.WithContext("issuer https://a").message(), "issuer https://a: token expired 3 s ago");
}

TEST(StatusTest, EveryCodeHasAnOAuthName) {
  EXPECT_EQ(ErrorCodeName(ErrorCode::kInvalidTarget), "invalid_target");
  EXPECT_EQ(ErrorCodeName(ErrorCode::kUnsupportedGrantType), "unsupported_grant_type");
  EXPECT_EQ(ErrorCodeName(ErrorCode::kTemporarilyUnavailable), "temporarily_unavailable");
}

TEST(StatusTest, OAuthNamesReadBackAsTheirCodes) {
  EXPECT_EQ(ErrorCodeFromName("access_denied"), ErrorCode::kAccessDenied);
  EXPECT_EQ(ErrorCodeFromName("temporarily_unavailable"), ErrorCode::kTemporarilyUnavailable);
  EXPECT_EQ(ErrorCodeFromName("invalid_config"), std::nullopt);  // never on the wire
  EXPECT_EQ(ErrorCodeFromName("ok"), std::nullopt);
  EXPECT_EQ(ErrorCodeFromName("slow_down"), std::nullopt);
}

TEST(ResultTest, MacrosPropagateTheFirstFailure) {
  EXPECT_THAT(Quarter(8), IsOk());
  EXPECT_EQ(*Quarter(8), 2);
  EXPECT_THAT(Quarter(6), FailsWithCode(ErrorCode::kInvalidRequest, "odd"));
  EXPECT_THAT(CheckEven(3), FailsWith("odd"));
  EXPECT_THAT(CheckEven(4), IsOk());
}

TEST(ResultTest, OkStatusIsNotAValue) {
  Result<int> r{Status::Ok()};
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), ErrorCode::kServerError);
}

}  // namespace
}  // namespace signet
