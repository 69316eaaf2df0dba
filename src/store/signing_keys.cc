#include "store/signing_keys.h"

#include <optional>
#include <vector>

#include "common/aead.h"

namespace signet::store {
namespace {

Status Corrupt(const std::string& kid, const Status& cause) {
  return Status(ErrorCode::kServerError, "signing_key_invalid",
                "stored signing key " + kid + " cannot be loaded: " + cause.message());
}

Result<jose::SigningKey> OpenRow(const SigningKeyRow& row, const Secret& master_key) {
  auto alg = jose::ParseAlgorithm(row.algorithm);
  if (!alg.ok()) {
    return Corrupt(row.kid, alg.status());
  }
  auto pem = AeadOpen(master_key, row.sealed_private_key, row.kid);
  if (!pem.ok()) {
    return pem.status().WithContext("signing key " + row.kid);
  }
  auto key = jose::SigningKey::FromPkcs8Pem(*pem, *alg, row.kid);
  if (!key.ok()) {
    return Corrupt(row.kid, key.status());
  }
  return key;
}

Result<jose::SigningKey> CreateKey(Store& store, const Secret& master_key, jose::Algorithm alg,
                                   Random& random, const Clock& clock) {
  // The kid is a function of the public key, which exists only once the key does:
  // generate, then reload the same key material under its thumbprint.
  SIGNET_ASSIGN_OR_RETURN(jose::SigningKey generated, jose::SigningKey::Generate(alg, "pending"));
  std::string kid = generated.public_jwk().Thumbprint();
  Secret pem = generated.ToPkcs8Pem();
  SIGNET_ASSIGN_OR_RETURN(jose::SigningKey key, jose::SigningKey::FromPkcs8Pem(pem, alg, kid));
  SIGNET_ASSIGN_OR_RETURN(std::string sealed, AeadSeal(master_key, pem, kid, random));
  SIGNET_RETURN_IF_ERROR(
      store.InsertSigningKey(SigningKeyRow{kid, std::string(jose::AlgorithmName(alg)),
                                           std::move(sealed), ToUnixSecondsFloor(clock.Now())}));
  return key;
}

}  // namespace

Result<SigningKeys> LoadOrCreateSigningKeys(Store& store, const Secret& master_key,
                                            jose::Algorithm alg, Random& random,
                                            const Clock& clock) {
  SIGNET_ASSIGN_OR_RETURN(std::vector<SigningKeyRow> rows, store.ListSigningKeys());
  std::vector<jose::Jwk> published;
  std::optional<jose::SigningKey> current;
  for (const SigningKeyRow& row : rows) {
    SIGNET_ASSIGN_OR_RETURN(jose::SigningKey key, OpenRow(row, master_key));
    published.push_back(key.public_jwk());
    if (key.algorithm() == alg) {
      current = std::move(key);  // rows are oldest first: the last match is the newest
    }
  }
  if (!current) {
    SIGNET_ASSIGN_OR_RETURN(current, CreateKey(store, master_key, alg, random, clock));
    published.push_back(current->public_jwk());
  }
  return SigningKeys{std::move(*current), jose::Jwks(std::move(published))};
}

}  // namespace signet::store
