// GoogleTest matchers for Status and Result, in the shape of Tink's test_matchers.h:
//   EXPECT_THAT(result, IsOk());
//   EXPECT_THAT(result, FailsWith("expired"));                       // by reason
//   EXPECT_THAT(result, FailsWith(ErrorCode::kInvalidToken, "expired"));
#pragma once

#include <gmock/gmock.h>

#include <ostream>
#include <string>

#include "common/status.h"

namespace signet {

// So that gtest prints a Status or Result readably instead of as raw bytes.
inline void PrintTo(const Status& status, std::ostream* os) { *os << status.ToString(); }
template <typename T>
void PrintTo(const Result<T>& result, std::ostream* os) {
  *os << (result.ok() ? std::string("OK (a value)") : result.status().ToString());
}

}  // namespace signet

namespace signet::testing {

inline const Status& GetStatus(const Status& s) { return s; }
template <typename T>
Status GetStatus(const Result<T>& r) {
  return r.status();
}

MATCHER(IsOk, "is OK") {
  Status s = GetStatus(arg);
  if (!s.ok()) {
    *result_listener << s.ToString();
  }
  return s.ok();
}

MATCHER_P(FailsWith, reason, std::string("fails with reason ") + ::testing::PrintToString(reason)) {
  Status s = GetStatus(arg);
  *result_listener << s.ToString();
  return !s.ok() && s.reason() == std::string_view(reason);
}

MATCHER_P2(FailsWithCode, code, reason,
           std::string("fails with ") + std::string(ErrorCodeName(code)) + " reason " +
               ::testing::PrintToString(reason)) {
  Status s = GetStatus(arg);
  *result_listener << s.ToString();
  return !s.ok() && s.code() == code && s.reason() == std::string_view(reason);
}

}  // namespace signet::testing
