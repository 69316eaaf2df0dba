#include "common/url.h"

#include <gtest/gtest.h>

#include "support/status_matchers.h"

namespace signet {
namespace {

using testing::FailsWith;
using testing::IsOk;

TEST(UrlTest, ParsesHostPortAndPath) {
  auto url = ParseHttpUrl("https://idp.example.com:8443/tenant/a");
  ASSERT_THAT(url, IsOk());
  EXPECT_TRUE(url->https);
  EXPECT_EQ(url->host, "idp.example.com");
  EXPECT_EQ(url->port, 8443);
  EXPECT_EQ(url->path, "/tenant/a");

  auto plain = ParseHttpUrl("http://127.0.0.1");
  ASSERT_THAT(plain, IsOk());
  EXPECT_EQ(plain->port, 80);
  EXPECT_EQ(plain->path, "");

  auto v6 = ParseHttpUrl("http://[::1]:9000/x");
  ASSERT_THAT(v6, IsOk());
  EXPECT_EQ(v6->host, "[::1]");
  EXPECT_EQ(v6->port, 9000);
}

TEST(UrlTest, RefusesWhatCouldMisleadAHostCheck) {
  EXPECT_THAT(ParseHttpUrl("http://localhost:80@evil.example"), FailsWith("url_invalid"));
  EXPECT_THAT(ParseHttpUrl("http://127.0.0.1@evil.example/"), FailsWith("url_invalid"));
  EXPECT_THAT(ParseHttpUrl("https://a.example/#frag"), FailsWith("url_invalid"));
  EXPECT_THAT(ParseHttpUrl("https:///path"), FailsWith("url_invalid"));
  EXPECT_THAT(ParseHttpUrl("https://:443"), FailsWith("url_invalid"));
  EXPECT_THAT(ParseHttpUrl("https://[::1"), FailsWith("url_invalid"));
  EXPECT_THAT(ParseHttpUrl("https://a.example:70000"), FailsWith("url_invalid"));
  EXPECT_THAT(ParseHttpUrl("https://a.example:44x3"), FailsWith("url_invalid"));
  EXPECT_THAT(ParseHttpUrl("ftp://a.example"), FailsWith("url_invalid"));
  EXPECT_THAT(ParseHttpUrl("/relative"), FailsWith("url_invalid"));
}

TEST(UrlTest, PlainHttpOnlyOnLoopback) {
  EXPECT_THAT(CheckSecureUrl("https://idp.example.com/jwks"), IsOk());
  EXPECT_THAT(CheckSecureUrl("http://127.0.0.1:9000/jwks"), IsOk());
  EXPECT_THAT(CheckSecureUrl("http://localhost/jwks"), IsOk());
  EXPECT_THAT(CheckSecureUrl("http://[::1]/jwks"), IsOk());
  EXPECT_THAT(CheckSecureUrl("http://idp.example.com/jwks"), FailsWith("url_insecure"));
  EXPECT_THAT(CheckSecureUrl("http://127.0.0.2/jwks"), FailsWith("url_insecure"));
}

}  // namespace
}  // namespace signet
