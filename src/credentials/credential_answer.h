// The typed credential answer: how signetd's POST /v1/credentials and signet-agent's
// GET /v1/credentials/{destination} hand a workload its credential, so that one client
// reads both.
#pragma once

#include <boost/json/object.hpp>
#include <chrono>
#include <string_view>

#include "credentials/provider.h"

namespace signet::credentials {

// {destination, type, expires_at, expires_in, scope} and, by type: "token" {token,
// token_type, issued_token_type, headers}, "headers" {headers}, "aws" {aws:
// {access_key_id, secret_access_key, session_token}}. `headers` (an object, name to value)
// are what a request to the destination carries.
boost::json::object CredentialAnswer(const Credential& credential, std::string_view destination,
                                     std::chrono::seconds expires_in);

}  // namespace signet::credentials
