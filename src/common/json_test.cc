#include "common/json.h"

#include <gtest/gtest.h>

#include <string>

#include "support/status_matchers.h"

namespace signet {
namespace {

using testing::FailsWith;
using testing::IsOk;

TEST(JsonTest, ParsesObject) {
  auto obj = ParseJsonObject(R"({"iss":"https://a","aud":["x","y"],"exp":1.5e9,"n":null})");
  ASSERT_THAT(obj, IsOk());
  EXPECT_EQ(obj->at("iss").as_string(), "https://a");
  EXPECT_EQ(obj->at("aud").as_array().size(), 2u);
}

TEST(JsonTest, DuplicateMemberRejectedInEitherOrder) {
  EXPECT_THAT(ParseJsonObject(R"({"alg":"none","alg":"ES256"})"),
              FailsWith("json_duplicate_member"));
  EXPECT_THAT(ParseJsonObject(R"({"alg":"ES256","alg":"none"})"),
              FailsWith("json_duplicate_member"));
}

TEST(JsonTest, EscapeEquivalentDuplicateRejected) {
  EXPECT_THAT(ParseJsonObject(R"({"aud":"a","\u0061ud":"b"})"), FailsWith("json_duplicate_member"));
}

TEST(JsonTest, NestedDuplicateRejectedButSameNameInSiblingsAccepted) {
  EXPECT_THAT(ParseJsonObject(R"({"a":{"x":1,"x":2}})"), FailsWith("json_duplicate_member"));
  EXPECT_THAT(ParseJsonObject(R"({"a":{"x":1},"b":{"x":2},"x":3})"), IsOk());
}

TEST(JsonTest, DuplicateFoundInLargeObjects) {
  std::string object = "{";
  for (int i = 0; i < 500; ++i) {
    object += "\"k" + std::to_string(i) + "\":" + std::to_string(i) + ",";
  }
  EXPECT_THAT(ParseJsonObject(object + "\"last\":1}"), IsOk());
  EXPECT_THAT(ParseJsonObject(object + "\"k3\":1}"), FailsWith("json_duplicate_member"));
  EXPECT_THAT(ParseJsonObject(object + "\"k499\":1}"), FailsWith("json_duplicate_member"));
}

TEST(JsonTest, DeepNestingRejectedWithoutRecursion) {
  std::string deep(10000, '[');
  deep += std::string(10000, ']');
  EXPECT_THAT(ParseJson(deep), FailsWith("json_too_deep"));
  std::string deep_object;
  for (int i = 0; i < 5000; ++i) {
    deep_object += R"({"a":)";
  }
  deep_object += "1" + std::string(5000, '}');
  EXPECT_THAT(ParseJsonObject(deep_object), FailsWith("json_too_deep"));
}

TEST(JsonTest, TrailingDataRejected) {
  EXPECT_THAT(ParseJsonObject(R"({"a":1}x)"), FailsWith("json_trailing_data"));
  EXPECT_THAT(ParseJsonObject(R"({"a":1}{"a":2})"), FailsWith("json_trailing_data"));
  EXPECT_THAT(ParseJsonObject("{\"a\":1} \n"), IsOk());
}

TEST(JsonTest, NumberBeyondDoubleRejected) {
  // Found by tests/fuzz/json_fuzz: 1e400 read as infinity serializes as "Infinity".
  EXPECT_THAT(ParseJson("1e400"), FailsWith("json_number_out_of_range"));
  EXPECT_THAT(ParseJsonObject(R"({"exp":-1e400})"), FailsWith("json_number_out_of_range"));
  EXPECT_THAT(ParseJson("[1.7976931348623157e308,5e-324,1e-400]"), IsOk());
}

TEST(JsonTest, NonObjectRejected) {
  EXPECT_THAT(ParseJsonObject(R"(["a"])"), FailsWith("json_not_object"));
  EXPECT_THAT(ParseJsonObject(R"("a")"), FailsWith("json_not_object"));
  EXPECT_THAT(ParseJsonObject("42"), FailsWith("json_not_object"));
}

TEST(JsonTest, InvalidEncodingsRejected) {
  EXPECT_THAT(ParseJsonObject("\xef\xbb\xbf{}"), FailsWith("json_malformed"));  // BOM
  EXPECT_THAT(ParseJsonObject(std::string("{\0\"\0a\0\"\0:\0001\0}\0", 14)),
              FailsWith("json_malformed"));                                           // UTF-16LE
  EXPECT_THAT(ParseJsonObject("{\"a\":\"\xc0\xaf\"}"), FailsWith("json_malformed"));  // overlong
  EXPECT_THAT(ParseJsonObject("{\"a\":\"\xff\"}"), FailsWith("json_malformed"));      // not UTF-8
  EXPECT_THAT(ParseJsonObject(R"({"a":1,})"), FailsWith("json_malformed"));
  EXPECT_THAT(ParseJsonObject(R"({"a":1 /* c */})"), FailsWith("json_malformed"));
  EXPECT_THAT(ParseJsonObject(""), FailsWith("json_malformed"));
}

}  // namespace
}  // namespace signet
