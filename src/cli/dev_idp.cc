#include "cli/dev_idp.h"

#include <boost/json/serialize.hpp>
#include <charconv>
#include <map>
#include <vector>

#include "http/form.h"
#include "jose/jwt.h"

namespace signet::cli {
namespace {

constexpr int64_t kMaxTtl = 86400;

Status BadField(const std::string& field, const std::string& problem) {
  return Status(ErrorCode::kInvalidRequest, "field_invalid", field + ": " + problem);
}

// `n` random bytes in lowercase hex.
std::string RandomHex(Random& random, size_t n) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::vector<uint8_t> bytes(n);
  random.Fill(bytes);
  std::string out;
  for (uint8_t b : bytes) {
    out.push_back(kDigits[b >> 4]);
    out.push_back(kDigits[b & 15]);
  }
  return out;
}

// A random UUID-shaped id, as Kubernetes uses for object uids.
std::string Uuid(Random& random) {
  std::string hex = RandomHex(random, 16);
  return hex.substr(0, 8) + "-" + hex.substr(8, 4) + "-" + hex.substr(12, 4) + "-" +
         hex.substr(16, 4) + "-" + hex.substr(20);
}

class Minter {
 public:
  Minter(std::map<std::string, std::string> fields, Random& random)
      : fields_(std::move(fields)), random_(random) {}

  std::string Take(const std::string& name, const std::string& fallback) {
    auto it = fields_.find(name);
    if (it == fields_.end()) {
      return fallback;
    }
    std::string value = std::move(it->second);
    fields_.erase(it);
    return value;
  }

  Result<int64_t> TakeSeconds(const std::string& name, int64_t fallback, bool may_be_negative) {
    std::string text = Take(name, "");
    if (text.empty()) {
      return fallback;
    }
    int64_t value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || end != text.data() + text.size() || value > kMaxTtl ||
        value < (may_be_negative ? -kMaxTtl : 1)) {
      return BadField(name, "must be a number of seconds up to " + std::to_string(kMaxTtl));
    }
    return value;
  }

  // Fills the claims of `kind`; afterwards no field may be left unread.
  Status Shape(const std::string& kind, boost::json::object* claims) {
    if (kind == "kubernetes") {
      std::string ns = Take("namespace", "default");
      std::string sa = Take("serviceaccount", "default");
      boost::json::object k8s{{"namespace", ns},
                              {"serviceaccount", {{"name", sa}, {"uid", Uuid(random_)}}}};
      if (std::string pod = Take("pod", ""); !pod.empty()) {
        k8s["pod"] = {{"name", pod}, {"uid", Uuid(random_)}};
      }
      (*claims)["sub"] = "system:serviceaccount:" + ns + ":" + sa;
      (*claims)["kubernetes.io"] = std::move(k8s);
    } else if (kind == "github") {
      std::string repository = Take("repository", "");
      size_t slash = repository.find('/');
      if (slash == std::string::npos || slash == 0 || slash + 1 == repository.size()) {
        return BadField("repository", "required, as owner/repo");
      }
      std::string ref = Take("ref", "refs/heads/main");
      std::string environment = Take("environment", "");
      std::string workflow = Take("workflow", "ci");
      (*claims)["sub"] = "repo:" + repository + ":" +
                         (environment.empty() ? "ref:" + ref : "environment:" + environment);
      (*claims)["repository"] = repository;
      (*claims)["repository_owner"] = repository.substr(0, slash);
      (*claims)["ref"] = ref;
      (*claims)["sha"] = RandomHex(random_, 20);
      (*claims)["workflow"] = workflow;
      (*claims)["actor"] = Take("actor", "octocat");
      (*claims)["event_name"] = "push";
      (*claims)["job_workflow_ref"] = repository + "/.github/workflows/" + workflow + ".yml@" + ref;
      if (!environment.empty()) {
        (*claims)["environment"] = environment;
      }
    } else if (kind == "spiffe") {
      std::string path = Take("path", "/workload");
      if (!path.starts_with('/')) {
        return BadField("path", "must start with /");
      }
      (*claims)["sub"] = "spiffe://" + Take("trust_domain", "example.org") + path;
    } else {
      return BadField("kind", "must be kubernetes, github or spiffe");
    }
    if (std::string sub = Take("sub", ""); !sub.empty()) {
      (*claims)["sub"] = sub;
    }
    if (!fields_.empty()) {
      return BadField(fields_.begin()->first, "unknown field for kind " + kind);
    }
    return Status::Ok();
  }

 private:
  std::map<std::string, std::string> fields_;
  Random& random_;
};

Result<std::string> Mint(const http::Request& request, const std::string& issuer,
                         const jose::SigningKey& key, const Clock& clock, Random& random) {
  SIGNET_ASSIGN_OR_RETURN(auto form, http::ParseForm(request.body));
  std::map<std::string, std::string> fields;
  for (auto& [name, value] : form) {
    if (!fields.emplace(name, std::move(value)).second) {
      return BadField(name, "given twice");
    }
  }
  Minter minter(std::move(fields), random);
  std::string kind = minter.Take("kind", "kubernetes");
  std::string audience = minter.Take("aud", "signet");
  SIGNET_ASSIGN_OR_RETURN(int64_t ttl, minter.TakeSeconds("ttl", 600, false));
  SIGNET_ASSIGN_OR_RETURN(int64_t exp_offset, minter.TakeSeconds("exp_offset", ttl, true));
  int64_t now = ToUnixSecondsFloor(clock.Now());
  int64_t issued = std::min(now, now + exp_offset - 1);  // an expired token was issued earlier
  boost::json::object claims{{"iss", issuer}, {"iat", issued}, {"exp", now + exp_offset}};
  SIGNET_RETURN_IF_ERROR(minter.Shape(kind, &claims));
  // Kubernetes and GitHub tokens carry an audience list, nbf and jti; a JWT-SVID one
  // audience and neither.
  if (kind == "spiffe") {
    claims["aud"] = audience;
  } else {
    claims["aud"] = boost::json::array{boost::json::value(audience)};
    claims["nbf"] = issued;
    claims["jti"] = random.Base64UrlId();
  }
  SIGNET_ASSIGN_OR_RETURN(std::string token, jose::SignJwt(key, claims));
  return boost::json::serialize(
      boost::json::object{{"token", token}, {"expires_at", now + exp_offset}});
}

}  // namespace

Result<std::shared_ptr<const jose::SigningKey>> MakeDevIdpKey() {
  SIGNET_ASSIGN_OR_RETURN(jose::SigningKey draft, jose::SigningKey::GenerateForTesting(
                                                      jose::Algorithm::kRS256, "draft", 2048));
  std::string kid = draft.public_jwk().Thumbprint();
  SIGNET_ASSIGN_OR_RETURN(
      jose::SigningKey key,
      jose::SigningKey::FromPkcs8Pem(draft.ToPkcs8Pem(), jose::Algorithm::kRS256, kid));
  return std::make_shared<const jose::SigningKey>(std::move(key));
}

void AddDevIdpRoutes(http::Router& router, std::shared_ptr<const std::string> issuer,
                     std::shared_ptr<const jose::SigningKey> key, const Clock& clock,
                     Random& random) {
  router.Add("GET", "/.well-known/openid-configuration", [issuer](const http::Request&) {
    return http::Response::Json(
        200, boost::json::serialize(boost::json::object{
                 {"issuer", *issuer},
                 {"jwks_uri", *issuer + "/.well-known/jwks.json"},
                 {"response_types_supported", boost::json::array{"id_token"}},
                 {"subject_types_supported", boost::json::array{"public"}},
                 {"id_token_signing_alg_values_supported", boost::json::array{"RS256"}},
             }));
  });
  std::string jwks = jose::Jwks({key->public_jwk()}).ToJson();
  router.Add("GET", "/.well-known/jwks.json",
             [jwks](const http::Request&) { return http::Response::Json(200, jwks); });
  router.Add("POST", "/mint", [issuer, key, &clock, &random](const http::Request& request) {
    Result<std::string> minted = Mint(request, *issuer, *key, clock, random);
    return minted.ok() ? http::Response::Json(200, *minted)
                       : http::Response::Error(minted.status());
  });
}

}  // namespace signet::cli
