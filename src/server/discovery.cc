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
  // Only what Signet serves today; the document grows with the endpoints.
  std::string document = boost::json::serialize(boost::json::object{
      {"issuer", issuer},
      {"jwks_uri", issuer + "/.well-known/jwks.json"},
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
