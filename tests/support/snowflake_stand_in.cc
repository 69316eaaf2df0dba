#include "support/snowflake_stand_in.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <cstdio>

#include "common/clock.h"
#include "jose/jwt.h"
#include "support/subprocess.h"

namespace signet::testing {

SnowflakeStandIn::SnowflakeStandIn(const std::string& dir, std::string account, std::string user,
                                   const std::string& public_key_pem)
    : account_(std::move(account)), user_(std::move(user)) {
  // What Snowflake shows as RSA_PUBLIC_KEY_FP, computed as its documentation does.
  int code = -1;
  fingerprint_ = RunCommand("openssl pkey -pubin -in " + public_key_pem +
                                " -outform DER | openssl dgst -sha256 -binary | base64",
                            &code);
  EXPECT_EQ(code, 0) << fingerprint_;
  while (!fingerprint_.empty() && fingerprint_.back() == '\n') {
    fingerprint_.pop_back();
  }
  if (FILE* file = std::fopen(public_key_pem.c_str(), "r")) {
    public_key_ = PEM_read_PUBKEY(file, nullptr, nullptr, nullptr);
    std::fclose(file);
  }
  EXPECT_NE(public_key_, nullptr) << public_key_pem;
  http::Router router;
  router.Add("POST", "/api/v2/statements",
             [this](const http::Request& request) { return Answer(request); });
  server_ = std::make_unique<HttpsStandIn>(dir, "snowflake-stand-in", std::move(router));
}

SnowflakeStandIn::~SnowflakeStandIn() {
  server_.reset();
  EVP_PKEY_free(public_key_);
}

std::string SnowflakeStandIn::last_refusal() {
  std::lock_guard lock(mu_);
  return last_refusal_;
}

http::Response SnowflakeStandIn::Answer(const http::Request& request) {
  std::string refusal = Refusal(request);
  if (!refusal.empty()) {
    std::lock_guard lock(mu_);
    last_refusal_ = refusal;
    return http::Response::Json(401, R"({"code":"390144","message":"JWT token is invalid."})");
  }
  return http::Response::Json(
      200, R"({"resultSetMetaData":{"numRows":1,"format":"jsonv2","rowType":[{"name":"1",)"
           R"("type":"fixed","nullable":false}]},"data":[["1"]],"code":"090001",)"
           R"("statementStatusUrl":"/api/v2/statements/01b2c3d4-0000-0001-0000-000000000001",)"
           R"("requestId":"standin","sqlState":"00000",)"
           R"("statementHandle":"01b2c3d4-0000-0001-0000-000000000001",)"
           R"("message":"Statement executed successfully."})");
}

std::string SnowflakeStandIn::Refusal(const http::Request& request) const {
  std::string_view type = request.Header("X-Snowflake-Authorization-Token-Type").value_or("");
  if (!type.empty() && type != "KEYPAIR_JWT") {
    return "token type " + std::string(type);
  }
  std::string_view authorization = request.Header("Authorization").value_or("");
  if (!authorization.starts_with("Bearer ")) {
    return "no bearer token";
  }
  auto jwt = jose::ParseJwt(authorization.substr(7));
  if (!jwt.ok()) {
    return "not a JWT: " + jwt.status().message();
  }
  if (jwt->jws.header.alg != jose::Algorithm::kRS256) {
    return "not RS256";
  }
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  const std::string& signature = jwt->jws.signature;
  bool verified =
      ctx != nullptr &&
      EVP_DigestVerifyInit(ctx, nullptr, EVP_sha256(), nullptr, public_key_) == 1 &&
      EVP_DigestVerify(ctx, reinterpret_cast<const unsigned char*>(signature.data()),
                       signature.size(),
                       reinterpret_cast<const unsigned char*>(jwt->jws.signing_input.data()),
                       jwt->jws.signing_input.size()) == 1;
  EVP_MD_CTX_free(ctx);
  if (!verified) {
    return "signature does not verify with the registered key";
  }
  const boost::json::object& claims = jwt->claims;
  auto text = [&claims](const char* name) {
    const boost::json::value* value = claims.if_contains(name);
    return value != nullptr && value->is_string() ? std::string(value->as_string()) : "";
  };
  auto number = [&claims](const char* name) {
    const boost::json::value* value = claims.if_contains(name);
    return value != nullptr && value->is_int64() ? value->as_int64() : int64_t{-1};
  };
  std::string subject = account_ + "." + user_;
  if (text("iss") != subject + ".SHA256:" + fingerprint_) {
    return "iss " + text("iss") + " is not " + subject + ".SHA256:" + fingerprint_;
  }
  if (text("sub") != subject) {
    return "sub " + text("sub") + " is not " + subject;
  }
  int64_t now = ToUnixSecondsFloor(Clock::Real().Now());
  int64_t iat = number("iat");
  int64_t exp = number("exp");
  if (iat < 0 || exp <= now || iat > now + 60 || exp - iat > 3600) {
    return "iat/exp out of bounds";
  }
  return "";
}

}  // namespace signet::testing
