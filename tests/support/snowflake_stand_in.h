// A stand-in of Snowflake's SQL API: POST /api/v2/statements over HTTPS (a certificate
// made for the test), accepting a key-pair JWT the way Snowflake checks one: sent as
// Authorization: Bearer <JWT> with X-Snowflake-Authorization-Token-Type KEYPAIR_JWT (or
// without that header), RS256-signed by the key registered for the user (ALTER USER ...
// SET RSA_PUBLIC_KEY), iss <ACCOUNT>.<USER>.SHA256:<fingerprint of that key>, sub
// <ACCOUNT>.<USER>, not expired, living an hour at most. Anything else is Snowflake's
// 401 {"code":"390144","message":"JWT token is invalid."}. An accepted statement answers
// 200 with a one-row result set.
#pragma once

#include <openssl/types.h>

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "http/server.h"
#include "support/https_stand_in.h"

namespace signet::testing {

class SnowflakeStandIn {
 public:
  // `account` and `user` as the JWT names them (MYORG-MYACCOUNT, SVC_REPORTS);
  // `public_key_pem` the file of the user's registered public key.
  SnowflakeStandIn(const std::string& dir, std::string account, std::string user,
                   const std::string& public_key_pem);
  ~SnowflakeStandIn();

  const std::string& cert() const { return server_->cert(); }
  std::string base_url() const { return server_->base_url(); }
  // Why the last refused request was refused (what Snowflake keeps in its login history).
  std::string last_refusal();

 private:
  http::Response Answer(const http::Request& request);
  // "" when `request` carries a JWT Snowflake accepts, else why not.
  std::string Refusal(const http::Request& request) const;

  const std::string account_;
  const std::string user_;
  std::string fingerprint_;
  EVP_PKEY* public_key_ = nullptr;
  std::mutex mu_;
  std::string last_refusal_;
  std::unique_ptr<HttpsStandIn> server_;
};

}  // namespace signet::testing
