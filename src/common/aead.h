// AES-256-GCM authenticated encryption for secrets at rest (signing keys, vaulted
// credentials), on OpenSSL 3 EVP.
//
// A sealed blob is self-contained: 12-byte random nonce || ciphertext || 16-byte tag.
// `aad` (additional authenticated data) binds the blob to its context, such as the id of
// the row that holds it, so a blob copied to another row fails to open. Random 96-bit
// nonces keep the collision risk negligible well past 2^32 seals under one key
// (NIST SP 800-38D §8.3); a master key seals a handful of keys, not billions of messages.
//
// Thread safety: both functions are reentrant; `random` must allow concurrent use if it
// is shared (Random::Secure() does).
#pragma once

#include <string>
#include <string_view>

#include "common/random.h"
#include "common/secret.h"
#include "common/status.h"

namespace signet {

inline constexpr size_t kAeadKeyBytes = 32;
inline constexpr size_t kAeadNonceBytes = 12;
inline constexpr size_t kAeadTagBytes = 16;

// Encrypts `plaintext` under `key` with a fresh nonce from `random`.
// Errors: invalid_config key_invalid (key not 32 bytes); server_error aead_failed (OpenSSL
// failure, or a plaintext of 2 GiB or more).
Result<std::string> AeadSeal(const Secret& key, const Secret& plaintext, std::string_view aad,
                             Random& random);

// Decrypts and authenticates a blob made by AeadSeal with the same `key` and `aad`.
// Errors: invalid_config key_invalid; server_error decrypt_failed when the blob is
// truncated, altered, sealed under another key or bound to another `aad`. No partial
// plaintext is ever returned.
Result<Secret> AeadOpen(const Secret& key, std::string_view sealed, std::string_view aad);

}  // namespace signet
