#include "server/discovery.h"

#include <boost/json/serialize.hpp>
#include <set>

namespace signet::server {

void AddDiscoveryRoutes(http::Router& router, const std::string& issuer,
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
  // What Signet serves today, plus the members OIDC Discovery 1.0 §3 makes REQUIRED:
  // relying parties that federate with Signet (e.g. Anthropic WIF) verify its JWTs as ID
  // tokens and refuse a document without them. Signet issues signed JWTs straight from
  // its token endpoint, never through an authorization redirect, so the closest honest
  // response type is "id_token"; "sub" is the same value for every relying party.
  std::string document = boost::json::serialize(boost::json::object{
      {"issuer", issuer},
      {"jwks_uri", issuer + "/.well-known/jwks.json"},
      {"response_types_supported", boost::json::array{"id_token"}},
      {"subject_types_supported", boost::json::array{"public"}},
      {"id_token_signing_alg_values_supported", algs},
  });
  std::string jwks = signing_keys.ToJson();

  auto cached = [](std::string body) {
    http::Response r = http::Response::Json(200, std::move(body));
    r.headers.emplace_back("Cache-Control", "public, max-age=300");
    return r;
  };
  router.Add("GET", "/.well-known/openid-configuration",
             [cached, document](const http::Request&) { return cached(document); });
  router.Add("GET", "/.well-known/jwks.json", [cached, jwks](const http::Request&) {
    http::Response r = cached(jwks);
    r.content_type = "application/jwk-set+json";
    return r;
  });
  router.Add("GET", "/healthz",
             [](const http::Request&) { return http::Response::Json(200, R"({"status":"ok"})"); });
}

}  // namespace signet::server
