#include "http/form.h"

#include <gtest/gtest.h>

#include "support/status_matchers.h"

namespace signet::http {
namespace {

using Fields = std::vector<std::pair<std::string, std::string>>;
using testing::FailsWith;
using testing::IsOk;

TEST(FormTest, EncodesWhatItDecodes) {
  Fields fields{{"grant_type", "urn:ietf:params:oauth:grant-type:token-exchange"},
                {"scope", "a b+c"},
                {"odd name&=", "100% é\n"},
                {"empty", ""}};
  std::string body = EncodeForm(fields);
  EXPECT_EQ(body.find(' '), std::string::npos) << body;
  EXPECT_TRUE(
      body.starts_with("grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Atoken-exchange&"))
      << body;
  auto parsed = ParseForm(body);
  ASSERT_THAT(parsed, IsOk());
  EXPECT_EQ(*parsed, fields);
}

TEST(FormTest, DecodesPercentEscapesAndPlus) {
  auto form = ParseForm(
      "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Atoken-exchange&scope=a+b%20c&"
      "audience=orders&audience=payments&empty=&flag");
  ASSERT_THAT(form, IsOk());
  EXPECT_EQ(*form, (Fields{{"grant_type", "urn:ietf:params:oauth:grant-type:token-exchange"},
                           {"scope", "a b c"},
                           {"audience", "orders"},
                           {"audience", "payments"},
                           {"empty", ""},
                           {"flag", ""}}));
}

TEST(FormTest, KeepsBytesThatLookSpecialOnceDecoded) {
  auto form = ParseForm("t=a%26b%3Dc%2B%00z&%73ub=x");
  ASSERT_THAT(form, IsOk());
  EXPECT_EQ(form->at(0).second, std::string("a&b=c+\0z", 8));
  EXPECT_EQ(form->at(1).first, "sub");
}

TEST(FormTest, EmptyBodiesAndFields) {
  EXPECT_TRUE(ParseForm("")->empty());
  auto form = ParseForm("a=1&&b=2");
  ASSERT_THAT(form, IsOk());
  EXPECT_EQ(*form, (Fields{{"a", "1"}, {"b", "2"}}));
}

TEST(FormTest, MalformedEscapesAreRefused) {
  EXPECT_THAT(ParseForm("a=%zz"), FailsWith("form_invalid"));
  EXPECT_THAT(ParseForm("a=%4"), FailsWith("form_invalid"));
  EXPECT_THAT(ParseForm("a=100%"), FailsWith("form_invalid"));
}

}  // namespace
}  // namespace signet::http
