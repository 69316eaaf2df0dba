// A stand-in of an OAuth 2.0 token endpoint taking the client credentials grant (RFC 6749
// §4.4), over HTTPS with a certificate made for the test, in one of two dialects:
//   - kGeneric: POST /oauth2/token; errors are RFC 6749 §5.2 JSON {error,
//     error_description};
//   - kEntra: Microsoft Entra's POST /{tenant}/oauth2/v2.0/token; errors are Entra's
//     {error, error_description, error_codes, timestamp, trace_id, correlation_id}, and
//     tokens come with ext_expires_in.
//
// It checks nothing: it records every request, keyed by who it names, for the test to
// check. That key is the client assertion's `sub` when there is one (the client_id for
// private_key_jwt, the workload's SPIFFE id for Entra), else the body's client_id, else
// the client id of an HTTP Basic header. By the key's ending it answers:
//   "refused": 401 (generic) or 400 (Entra) invalid_client, with a description holding
//              "standin-private-detail", which must never be repeated;
//   "flaky":   503 temporarily_unavailable;
//   "malformed": 200 with no access_token;
//   "short":   a token living 100 s (inside signetd's 120 s refresh window);
//   otherwise: a fresh token "standin-<dialect>-at-<n>" living 3600 s (Entra: 3599).
#pragma once

#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "http/server.h"
#include "support/https_stand_in.h"

namespace signet::testing {

class OAuth2StandIn {
 public:
  enum class Dialect { kGeneric, kEntra };

  OAuth2StandIn(const std::string& dir, Dialect dialect);

  const std::string& cert() const { return server_.cert(); }
  // The token endpoint's URL (kGeneric), or the authority (kEntra: append
  // /{tenant}/oauth2/v2.0/token).
  std::string url() const;

  // The requests whose key (see above) is `who`.
  std::vector<http::Request> RequestsFor(const std::string& who);

 private:
  http::Router Routes();
  http::Response Answer(const http::Request& request);

  const Dialect dialect_;
  std::mutex mu_;
  std::vector<std::pair<std::string, http::Request>> requests_;  // (key, request)
  HttpsStandIn server_;  // last: serving may start once the rest is ready
};

}  // namespace signet::testing
