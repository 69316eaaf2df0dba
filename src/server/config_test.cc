#include "server/config.h"

#include <gtest/gtest.h>

#include "support/status_matchers.h"

namespace signet::server {
namespace {

using signet::testing::FailsWith;
using signet::testing::IsOk;

TEST(ConfigTest, ParsesAFullConfig) {
  auto config = ParseConfig(R"(
server:
  issuer: https://signet.example.com
  listen: 0.0.0.0:9443
  data_dir: /var/lib/signet
signing:
  algorithm: EdDSA
)");
  ASSERT_THAT(config, IsOk());
  EXPECT_EQ(config->issuer, "https://signet.example.com");
  EXPECT_EQ(config->listen_address, "0.0.0.0");
  EXPECT_EQ(config->listen_port, 9443);
  EXPECT_EQ(config->data_dir, "/var/lib/signet");
  EXPECT_EQ(config->signing_algorithm, jose::Algorithm::kEdDSA);
}

TEST(ConfigTest, DefaultsApply) {
  auto config = ParseConfig("server:\n  issuer: http://127.0.0.1:8080\n");
  ASSERT_THAT(config, IsOk());
  EXPECT_EQ(config->listen_port, 8080);
  EXPECT_EQ(config->signing_algorithm, jose::Algorithm::kES256);
}

TEST(ConfigTest, UnknownKeyIsNamed) {
  auto config = ParseConfig("server:\n  issuer: https://a.example\n  isuer: x\n");
  ASSERT_THAT(config, FailsWith("config_invalid"));
  EXPECT_NE(config.status().message().find("server.isuer"), std::string::npos);
}

TEST(ConfigTest, IssuerMustBeHttpsOrLoopbackHttp) {
  EXPECT_THAT(ParseConfig("server:\n  issuer: http://signet.example.com\n"),
              FailsWith("config_invalid"));
  EXPECT_THAT(ParseConfig("server:\n  issuer: https://a.example/\n"), FailsWith("config_invalid"));
  EXPECT_THAT(ParseConfig("server:\n  issuer: https://a.example?x=1\n"),
              FailsWith("config_invalid"));
  EXPECT_THAT(ParseConfig("server:\n  issuer: http://localhost:8080\n"), IsOk());
  EXPECT_THAT(ParseConfig("server: {}\n"), FailsWith("config_invalid"));
  EXPECT_THAT(ParseConfig(""), FailsWith("config_invalid"));
}

TEST(ConfigTest, IssuerHostIsParsedWithIpv6LiteralsAndPorts) {
  auto issuer = [](const std::string& url) { return ParseConfig("server:\n  issuer: " + url); };
  // An IPv6 literal's colons are not the port separator.
  EXPECT_THAT(issuer("http://[::1]:8080"), IsOk());
  EXPECT_THAT(issuer("http://[::1]"), IsOk());
  EXPECT_THAT(issuer("https://[2001:db8::1]:8443/tenant"), IsOk());
  EXPECT_THAT(issuer("http://[2001:db8::1]:8080"), FailsWith("config_invalid"));  // not loopback
  EXPECT_THAT(issuer("https://a.example:8443"), IsOk());
  // No host, or a malformed authority.
  EXPECT_THAT(issuer("https://:443"), FailsWith("config_invalid"));
  EXPECT_THAT(issuer("http://:8080"), FailsWith("config_invalid"));
  EXPECT_THAT(issuer("https:///path"), FailsWith("config_invalid"));
  EXPECT_THAT(issuer("https://[]:443"), FailsWith("config_invalid"));
  EXPECT_THAT(issuer("https://[::1"), FailsWith("config_invalid"));
  EXPECT_THAT(issuer("https://[::1]x"), FailsWith("config_invalid"));
  EXPECT_THAT(issuer("https://a.example:44x3"), FailsWith("config_invalid"));
  EXPECT_THAT(issuer("https://a.example:70000"), FailsWith("config_invalid"));
  // User info would let a non-loopback http issuer pass for a loopback one.
  EXPECT_THAT(issuer("http://localhost:80@evil.example"), FailsWith("config_invalid"));
  EXPECT_THAT(issuer("http://127.0.0.1@evil.example"), FailsWith("config_invalid"));
}

TEST(ConfigTest, SigningAlgorithmMustBeOneSignetSignsWith) {
  EXPECT_THAT(ParseConfig("server:\n  issuer: https://a.example\nsigning:\n  algorithm: PS256\n"),
              FailsWith("config_invalid"));
  EXPECT_THAT(ParseConfig("server:\n  issuer: https://a.example\nsigning:\n  algorithm: HS256\n"),
              FailsWith("config_invalid"));
}

TEST(ConfigTest, ListenAddressParsing) {
  std::string host;
  uint16_t port = 0;
  EXPECT_THAT(ParseListenAddress("[::1]:0", &host, &port), IsOk());
  EXPECT_EQ(host, "::1");
  EXPECT_THAT(ParseListenAddress("127.0.0.1", &host, &port), FailsWith("listen_address_invalid"));
  EXPECT_THAT(ParseListenAddress("127.0.0.1:70000", &host, &port),
              FailsWith("listen_address_invalid"));
  EXPECT_THAT(ParseListenAddress("127.0.0.1:8x", &host, &port),
              FailsWith("listen_address_invalid"));
}

}  // namespace
}  // namespace signet::server
