#include "trust/issuer_registry.h"

#include "jose/jwt.h"
#include "jose/reasons.h"

namespace signet::trust {

Result<IssuerRegistry> IssuerRegistry::Build(std::vector<std::shared_ptr<Issuer>> issuers) {
  IssuerRegistry registry;
  for (auto& issuer : issuers) {
    const std::string& iss = issuer->config().issuer_url;
    auto [it, inserted] = registry.by_iss_.emplace(iss, issuer.get());
    if (!inserted) {
      return Status(ErrorCode::kInvalidConfig, "config_invalid",
                    "issuers " + it->second->config().name + " and " + issuer->config().name +
                        " have the same issuer " + iss);
    }
  }
  registry.issuers_ = std::move(issuers);
  return registry;
}

std::shared_ptr<Issuer> IssuerRegistry::Find(const IssuerConfig& config) const {
  for (const auto& issuer : issuers_) {
    if (issuer->config() == config) {
      return issuer;
    }
  }
  return nullptr;
}

Result<std::pair<const Issuer*, jose::VerifiedJwt>> IssuerRegistry::Verify(std::string_view token,
                                                                           SystemTime now) const {
  // The strict parser runs first so a malformed or hostile token is named for what it is
  // (alg_none, jwe_refused, ...) before anything reads its claims; claims that do not
  // parse are refused with the JSON parser's reason (json_*).
  Result<jose::ParsedJwt> parsed = jose::ParseJwt(token);
  if (!parsed.ok()) {
    return Status(ErrorCode::kInvalidRequest, parsed.status().reason(), parsed.status().message());
  }
  // Claims without a string iss are refused with the reason the JWT validator gives them.
  const boost::json::value* iss = parsed->claims.if_contains("iss");
  if (iss == nullptr) {
    return Status(ErrorCode::kInvalidRequest, jose::reason::kIssMissing, "token has no \"iss\"");
  }
  if (!iss->is_string()) {
    return Status(ErrorCode::kInvalidRequest, jose::reason::kIssMismatch,
                  "\"iss\" is not a string");
  }
  auto it = by_iss_.find(std::string_view(iss->get_string()));
  if (it == by_iss_.end()) {
    constexpr size_t kShown = 200;
    std::string shown(std::string_view(iss->get_string()).substr(0, kShown));
    return Status(ErrorCode::kInvalidRequest, "issuer_untrusted",
                  "token issuer is not trusted: \"" + shown + "\"");
  }
  SIGNET_ASSIGN_OR_RETURN(jose::VerifiedJwt jwt, it->second->Verify(*parsed, now));
  return std::make_pair(static_cast<const Issuer*>(it->second), std::move(jwt));
}

Status IssuerRegistry::RefreshAll() const {
  Status first;
  for (auto& issuer : issuers_) {
    if (Status s = issuer->Refresh(); !s.ok() && first.ok()) {
      first = s;
    }
  }
  return first;
}

}  // namespace signet::trust
