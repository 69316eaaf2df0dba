// The master key: the 32-byte AES-256-GCM key that seals every secret the store holds
// (signing keys now, vaulted credentials later). It lives in its own file beside the
// database, so a copy of the database alone reveals no secret; back both up, separately.
#pragma once

#include <string>

#include "common/random.h"
#include "common/secret.h"
#include "common/status.h"

namespace signet::store {

// Reads the master key from `path`, or creates it when the file does not exist: 32
// random bytes from `random`, mode 0600, published atomically so that a crash or a
// concurrent start never leaves a partial key and two starts never create two keys.
// Refuses (invalid_config) a path that is not a regular file or is a symlink
// (master_key_invalid), a file that is not exactly 32 bytes (master_key_invalid), and a
// file that group or other may read or write (master_key_permissions); each message
// names the path and the fix. I/O failures: server_error master_key_unavailable.
Result<Secret> LoadOrCreateMasterKey(const std::string& path, Random& random);

}  // namespace signet::store
