// The master key: the 32-byte AES-256-GCM key that seals every secret the store holds
// (signing keys, and the data keys of vaulted secrets, store/secrets.h). It lives in its
// own file beside the database, or in the environment variable SIGNET_MASTER_KEY, so a
// copy of the database alone reveals no secret; back key and database up, separately.
//
// Start-up: LoadMasterKeyFromEnvOrFile, then VerifyMasterKey before the key opens
// anything. Rotation: RotateMasterKeyFile (the key file) or RotateMasterKey (any
// source), with signetd stopped.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "common/random.h"
#include "common/secret.h"
#include "common/status.h"
#include "store/store.h"

namespace signet::store {

// The environment variable that, when set, holds the master key instead of the file:
// the 32 bytes as 64 hex digits (either case) or as 43 characters of unpadded
// base64url, with nothing else (no spaces, no newline). Make one with
// `openssl rand -hex 32`. Any process of the same user can read another's environment
// (/proc/PID/environ), so prefer the file unless a secret manager injects the variable.
inline constexpr char kMasterKeyEnvVar[] = "SIGNET_MASTER_KEY";

// The store_meta entry holding the key check: a fixed text sealed under the master key.
inline constexpr std::string_view kMasterKeyCheckMeta = "master_key_check";

// Reads the master key from `path`, or creates it when the file does not exist: 32
// random bytes from `random`, mode 0600, published atomically so that a crash or a
// concurrent start never leaves a partial key and two starts never create two keys.
// Refuses (invalid_config) a path that is not a regular file or is a symlink
// (master_key_invalid), a file that is not exactly 32 bytes (master_key_invalid), and a
// file that group or other may read or write (master_key_permissions); each message
// names the path and the fix. I/O failures: server_error master_key_unavailable.
Result<Secret> LoadOrCreateMasterKey(const std::string& path, Random& random);

// Decodes a master key written as text (the SIGNET_MASTER_KEY format above). Anything
// else is invalid_config master_key_invalid; the message gives the expected format and
// the length it got, never the text.
Result<Secret> ParseMasterKeyText(std::string_view text);

// The master key from `env_value` (the variable's value, nullopt when it is unset) when
// given, even if empty (then refused: an empty variable is a mistake, not "use the
// file"); otherwise LoadOrCreateMasterKey(path, random). A key from the environment
// creates no file.
Result<Secret> LoadMasterKey(std::optional<std::string_view> env_value, const std::string& path,
                             Random& random);
// LoadMasterKey with the value of SIGNET_MASTER_KEY in this process's environment.
// Call it at start-up, before threads start (getenv).
Result<Secret> LoadMasterKeyFromEnvOrFile(const std::string& path, Random& random);

// Checks that `master_key` is the key this database's secrets are sealed under, before
// anything is opened with it; a wrong key changes nothing.
//
// The check is the store_meta entry kMasterKeyCheckMeta. When it is present, it must
// open under `master_key`. When it is absent (a new database, or one made before the
// check existed), every stored signing key and secret data key must open under
// `master_key`; then the check is sealed (a nonce from `random`) and inserted, unless
// another process inserted one first, which must then open too. So a database that
// already holds secrets never records a check for a key that cannot open them.
//
// Errors: invalid_config master_key_mismatch ("the master key does not open this
// database", with how to fix it); invalid_config master_key_invalid (not 32 bytes);
// store errors pass through.
Status VerifyMasterKey(Store& store, const Secret& master_key, Random& random);

// Re-seals every signing key, every secret's data key and the key check from `old_key`
// to `new_key`, in one Store transaction (Store::RewrapAll): afterwards only `new_key`
// opens the database; on any failure nothing changed and only `old_key` does. Values of
// secrets are not touched (envelope encryption: only their data keys are re-sealed).
//
// Run it with signetd stopped: a running signetd keeps the old key and would seal new
// secrets under it. A signing key or secret added, replaced or deleted by another
// process during the rotation fails it with rewrap_conflict (nothing changed).
//
// Errors: VerifyMasterKey's for `old_key`; invalid_config master_key_invalid when
// `new_key` is not 32 bytes or equals `old_key`; server_error decrypt_failed (a row that
// does not open, naming it); rewrap_conflict; store errors.
Status RotateMasterKey(Store& store, const Secret& old_key, const Secret& new_key, Random& random);

enum class MasterKeyRotation {
  kRotated,   // a new key was made and installed
  kFinished,  // an interrupted rotation was completed: master.key.new installed
};

// Rotates the key in the file at `path` (which must exist) to a new random key:
//   1. writes the new key to `path`.new (mode 0600, synced);
//   2. RotateMasterKey (the commit point: one database transaction);
//   3. renames `path`.new over `path` and syncs the directory.
// A crash leaves one of two states, each of which a signetd start or a second run of
// this function recognises:
//   - before step 2 commits: the database still uses `path`; `path`.new is a leftover.
//     signetd starts normally; the next rotation deletes the leftover and starts over.
//   - after step 2, before step 3: the database uses `path`.new. signetd refuses to
//     start (master_key_mismatch, whose message points at `path`.new); running this
//     function again verifies `path`.new against the database and renames it into place
//     (kFinished).
// A failure in step 2 deletes `path`.new (the database still opens with `path`). Back up
// the new key file once this returns. The same refusals as LoadOrCreateMasterKey apply
// to both files; a `path` that does not exist is master_key_invalid.
Result<MasterKeyRotation> RotateMasterKeyFile(Store& store, const std::string& path,
                                              Random& random);

}  // namespace signet::store
