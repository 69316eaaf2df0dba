#include "server/discovery.h"

#include <boost/json/serialize.hpp>
#include <set>

namespace signet::server {
namespace {

// The discovery document for the keys published now: its
// id_token_signing_alg_values_supported follows the keys.
std::string DiscoveryDocument(const std::string& issuer, std::string_view token_path,
                              const jose::Jwks& signing_keys) {
  std::set<std::string> algorithms;
  for (const jose::Jwk& key : signing_keys.keys()) {
    if (key.algorithm()) {
      algorithms.emplace(jose::AlgorithmName(*key.algorithm()));
    }
  }
  boost::json::array algs;
  for (const auto& alg : algorithms) {
    algs.emplace_back(alg);
  }
  // The members OIDC Discovery 1.0 §3 makes REQUIRED, because relying parties that
  // federate with Signet (e.g. Anthropic WIF) verify its JWTs as ID tokens and refuse a
  // document without them. Signet issues signed JWTs straight from its token endpoint,
  // never through an authorization redirect, so the closest honest response type is
  // "id_token"; "sub" is the same value for every relying party. RFC 8414 clients read
  // the same document at /.well-known/oauth-authorization-server.
  return boost::json::serialize(boost::json::object{
      {"issuer", issuer},
      {"jwks_uri", issuer + "/.well-known/jwks.json"},
      {"token_endpoint", issuer + std::string(token_path)},
      {"grant_types_supported",
       boost::json::array{"urn:ietf:params:oauth:grant-type:token-exchange"}},
      // Workloads authenticate with the subject token itself, not as OAuth clients.
      {"token_endpoint_auth_methods_supported", boost::json::array{"none"}},
      // RFC 8414 §2: where resource servers check and revoke Signet's tokens (with an
      // admin token as a bearer credential, docs/api.md).
      {"introspection_endpoint", issuer + "/oauth2/introspect"},
      {"revocation_endpoint", issuer + "/oauth2/revoke"},
      {"response_types_supported", boost::json::array{"id_token"}},
      {"subject_types_supported", boost::json::array{"public"}},
      {"id_token_signing_alg_values_supported", algs},
  });
}

http::Response Cached(std::string body) {
  http::Response r = http::Response::Json(200, std::move(body));
  r.headers.emplace_back("Cache-Control", "public, max-age=300");
  return r;
}

}  // namespace

void AddDiscoveryRoutes(http::Router& router, const std::string& issuer,
                        std::string_view token_path, JwksSource signing_keys) {
  for (const char* path :
       {"/.well-known/openid-configuration", "/.well-known/oauth-authorization-server"}) {
    router.Add("GET", path,
               [issuer, token_path = std::string(token_path), signing_keys](const http::Request&) {
                 return Cached(DiscoveryDocument(issuer, token_path, *signing_keys()));
               });
  }
  router.Add("GET", "/.well-known/jwks.json", [signing_keys](const http::Request&) {
    http::Response r = Cached(signing_keys()->ToJson());
    r.content_type = "application/jwk-set+json";
    return r;
  });
}

}  // namespace signet::server
