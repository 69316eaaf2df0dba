// Checks of the RFC 8693 exchanges Signet makes at a destination's STS
// (credentials/token_exchange.h), for the unit and end-to-end tests of the kinds that
// make them.
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace signet::testing {

using FormFields = std::vector<std::pair<std::string, std::string>>;

// Expects `form` to open as every exchange does (grant_type, subject_token,
// subject_token_type jwt, requested_token_type `requested`) and to go on with `rest`,
// exactly; returns the subject token.
inline std::string ExpectTokenExchange(
    const FormFields& form, const FormFields& rest,
    std::string_view requested = "urn:ietf:params:oauth:token-type:access_token") {
  FormFields expected = {{"grant_type", "urn:ietf:params:oauth:grant-type:token-exchange"},
                         {"subject_token", ""},
                         {"subject_token_type", "urn:ietf:params:oauth:token-type:jwt"},
                         {"requested_token_type", std::string(requested)}};
  expected.insert(expected.end(), rest.begin(), rest.end());
  std::string subject_token;
  FormFields seen = form;
  if (seen.size() > 1 && seen[1].first == "subject_token") {
    subject_token = std::exchange(seen[1].second, "");
  }
  EXPECT_EQ(seen, expected);
  EXPECT_FALSE(subject_token.empty());
  return subject_token;
}

}  // namespace signet::testing
