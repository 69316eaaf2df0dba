// The one list of destination kinds. Adding a kind: a folder under providers/, its
// factory declared there, one line here.
#include "credentials/provider.h"
#include "credentials/providers/signet_jwt/signet_jwt.h"

namespace signet::credentials {

const std::map<std::string, ProviderFactory>& ProviderRegistry() {
  static const auto* registry = new std::map<std::string, ProviderFactory>{
      {"signet-jwt", CreateSignetJwtProvider},
  };
  return *registry;
}

Result<std::unique_ptr<CredentialProvider>> CreateProvider(const Destination& destination,
                                                           const ProviderContext& context) {
  const auto& registry = ProviderRegistry();
  auto it = registry.find(destination.kind);
  if (it == registry.end()) {
    std::string known;
    for (const auto& [kind, factory] : registry) {
      known += (known.empty() ? "" : ", ") + kind;
    }
    return Status(ErrorCode::kInvalidConfig, "provider_unknown",
                  "destination " + destination.name + ": unknown kind \"" + destination.kind +
                      "\" (known: " + known + ")");
  }
  return it->second(destination, context);
}

}  // namespace signet::credentials
