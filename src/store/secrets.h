// SecretVault: named secrets (API keys, passwords, client secrets a credential provider
// hands to a destination) kept in the Store with envelope encryption.
//
// Each version of each secret gets a fresh random 32-byte data key. The value is sealed
// under the data key and the data key under the master key (AES-256-GCM, common/aead.h);
// both seals bind the secret's name and version as aad, so a sealed value or data key
// copied to another row, or another version of the same row, fails to open. Rotating the
// master key (master_key.h) re-seals only the data keys, never the values.
//
// No API returns a secret's value: List() gives names, versions and times; Open() is for
// credential providers inside signetd, which send the value to its destination. Error
// messages name secrets, never their values.
//
// Thread safety: safe for concurrent use when `random` is (Random::Secure() is).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/random.h"
#include "common/secret.h"
#include "common/status.h"
#include "store/store.h"

namespace signet::store {

// The largest value Put accepts.
inline constexpr size_t kMaxSecretValueBytes = 64 * 1024;
// The longest name: [a-z0-9][a-z0-9._-]{0,127}.
inline constexpr size_t kMaxSecretNameBytes = 128;

// What a listing shows of a secret: never its value.
struct SecretInfo {
  std::string name;
  int64_t version = 0;     // 1 for the first value, +1 on every Put
  int64_t created_at = 0;  // unix seconds, of version 1
  int64_t updated_at = 0;  // unix seconds, of the current version
};

// A name is 1 to 128 characters of [a-z0-9._-], starting with a letter or digit.
// Otherwise invalid_request secret_name_invalid, the message saying what is allowed.
Status ValidateSecretName(std::string_view name);

// The aad of a secret's sealed data key (under the master key), and of its sealed value
// (under the data key): "secret:<name>#<version>:data_key" and "...:value". The
// separators cannot occur in a valid name.
std::string SecretDataKeyAad(std::string_view name, int64_t version);
std::string SecretValueAad(std::string_view name, int64_t version);

class SecretVault {
 public:
  // `master_key` is copied (and wiped with the vault); `store`, `random` and `clock`
  // must outlive the vault.
  SecretVault(Store& store, const Secret& master_key, Random& random, const Clock& clock);

  // Stores `value` as the secret's first version, or as its next one (a new data key,
  // updated_at = clock.Now(), created_at kept). Errors: invalid_request
  // secret_name_invalid, secret_value_invalid (empty) or secret_value_too_large (over
  // kMaxSecretValueBytes); server_error secret_version_conflict when other writers
  // kept replacing it; store errors.
  Result<SecretInfo> Put(std::string_view name, const Secret& value);

  // Every secret, by name: metadata only.
  Result<std::vector<SecretInfo>> List();

  // Removes a secret and all that is stored of it. Errors: invalid_request
  // secret_name_invalid or secret_not_found.
  Status Delete(std::string_view name);

  // The current value, for credential providers inside signetd only: no API returns it.
  // Errors: invalid_request secret_name_invalid or secret_not_found; server_error
  // decrypt_failed (the master key is not the one the secret was sealed under, or the
  // row was altered or moved), the message naming the secret.
  Result<Secret> Open(std::string_view name);

 private:
  Store& store_;
  const Secret master_key_;
  Random& random_;
  const Clock& clock_;
};

}  // namespace signet::store
