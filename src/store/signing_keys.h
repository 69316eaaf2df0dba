// Signet's own signing keys: generated on first start, kept in the Store sealed under
// the master key (AES-256-GCM, aad = kid), and published as a JWKS.
#pragma once

#include "common/clock.h"
#include "common/random.h"
#include "common/secret.h"
#include "common/status.h"
#include "jose/algorithm.h"
#include "jose/jwk.h"
#include "jose/signing_key.h"
#include "store/store.h"

namespace signet::store {

struct SigningKeys {
  jose::SigningKey current;  // signs everything Signet issues now
  jose::Jwks published;      // public keys of every stored key, oldest first
};

// The current signing key is the newest stored key of algorithm `alg`. When there is
// none, a key is generated (jose::SigningKey::Generate), named by the RFC 7638
// thumbprint of its public JWK, sealed with a nonce from `random`, stored with
// created_at = clock.Now(), and becomes current. Keys of other algorithms stay published
// (tokens they signed still verify) but do not sign.
//
// Every stored key is opened, so a wrong master key or an altered row fails start-up
// (server_error decrypt_failed, the message naming the kid) instead of the first token;
// a row that decrypts but does not hold a key of its algorithm is server_error
// signing_key_invalid. Store errors pass through. Two processes starting on an empty shared store
// at the same moment each generate a key; both are published, and each process signs with its own
// until its next start picks the newest.
Result<SigningKeys> LoadOrCreateSigningKeys(Store& store, const Secret& master_key,
                                            jose::Algorithm alg, Random& random,
                                            const Clock& clock);

}  // namespace signet::store
