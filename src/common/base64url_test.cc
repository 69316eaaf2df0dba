#include "common/base64url.h"

#include <gtest/gtest.h>

#include "support/status_matchers.h"

namespace signet {
namespace {

using testing::FailsWith;

TEST(Base64UrlTest, Rfc4648VectorsRoundTrip) {
  const std::pair<std::string, std::string> vectors[] = {
      {"", ""},           {"f", "Zg"},          {"fo", "Zm8"},          {"foo", "Zm9v"},
      {"foob", "Zm9vYg"}, {"fooba", "Zm9vYmE"}, {"foobar", "Zm9vYmFy"}, {"\xfb\xff", "-_8"}};
  for (const auto& [plain, encoded] : vectors) {
    EXPECT_EQ(Base64UrlEncode(plain), encoded);
    auto decoded = Base64UrlDecode(encoded);
    ASSERT_TRUE(decoded.ok()) << encoded;
    EXPECT_EQ(*decoded, plain);
  }
}

TEST(Base64UrlTest, NonCanonicalSpellingsRejected) {
  // Padding, the standard alphabet, whitespace, an impossible length, and non-zero
  // unused trailing bits ("Zh" and "Zm-" would decode to "f" and "fo" if accepted).
  for (const char* bad :
       {"Zg==", "Zm9=", "Zm+v", "Zm/v", "Zm9v\n", " Zm9v", "Zm 9v", "Z", "Zh", "Zm-"}) {
    EXPECT_THAT(Base64UrlDecode(bad), FailsWith("base64url_noncanonical")) << bad;
  }
}

// RFC 4648 §10, and "Aladdin:open sesame" as RFC 7617 §2 encodes it.
TEST(Base64UrlTest, StandardBase64Vectors) {
  EXPECT_EQ(Base64Encode(""), "");
  EXPECT_EQ(Base64Encode("f"), "Zg==");
  EXPECT_EQ(Base64Encode("fo"), "Zm8=");
  EXPECT_EQ(Base64Encode("foo"), "Zm9v");
  EXPECT_EQ(Base64Encode("foobar"), "Zm9vYmFy");
  EXPECT_EQ(Base64Encode("Aladdin:open sesame"), "QWxhZGRpbjpvcGVuIHNlc2FtZQ==");
  EXPECT_EQ(Base64Encode("\xfb\xff"), "+/8=");
}

TEST(Base64UrlTest, HexRoundTrip) {
  const uint8_t bytes[] = {0x00, 0x7f, 0xff, 0x10};
  EXPECT_EQ(HexEncode(bytes), "007fff10");
  EXPECT_EQ(*HexDecode("007FFF10"), std::string("\x00\x7f\xff\x10", 4));
  EXPECT_THAT(HexDecode("0g"), FailsWith("hex_invalid"));
  EXPECT_THAT(HexDecode("abc"), FailsWith("hex_invalid"));
}

}  // namespace
}  // namespace signet
