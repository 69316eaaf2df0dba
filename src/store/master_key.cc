#include "store/master_key.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <optional>
#include <span>
#include <string_view>
#include <utility>
#include <vector>

#include "common/aead.h"
#include "common/base64url.h"
#include "store/secrets.h"

namespace signet::store {
namespace {

Status Invalid(std::string_view reason, const std::string& message) {
  return Status(ErrorCode::kInvalidConfig, reason, message);
}

Status Unavailable(const std::string& what, const std::string& path, int err) {
  return Status(ErrorCode::kServerError, "master_key_unavailable",
                "cannot " + what + " master key file " + path + ": " + std::strerror(err));
}

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) {
      close(fd_);
    }
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

// Full read/write of `size` bytes, retrying on EINTR and short transfers.
template <typename Io, typename Ptr>
bool Transfer(Io io, int fd, Ptr data, size_t size) {
  size_t done = 0;
  while (done < size) {
    ssize_t n = io(fd, data + done, size - done);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      if (n == 0) {
        errno = EIO;
      }
      return false;
    }
    done += static_cast<size_t>(n);
  }
  return true;
}

// Result: the key, or nullopt when `path` does not exist.
Result<std::optional<Secret>> ReadKey(const std::string& path) {
  // O_NOFOLLOW: a symlink planted in the data directory must not redirect the key.
  Fd fd(open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
  if (fd.get() < 0) {
    if (errno == ENOENT) {
      return std::optional<Secret>();
    }
    if (errno == ELOOP) {
      return Invalid("master_key_invalid", "master key " + path +
                                               " is a symbolic link; put the key file itself "
                                               "there (mode 600)");
    }
    return Unavailable("open", path, errno);
  }
  struct stat st {};
  if (fstat(fd.get(), &st) != 0) {
    return Unavailable("stat", path, errno);
  }
  if (!S_ISREG(st.st_mode)) {
    return Invalid("master_key_invalid", "master key " + path +
                                             " is not a regular file; remove it or point to the "
                                             "key file");
  }
  if ((st.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
    return Invalid(
        "master_key_permissions",
        "master key " + path + " is accessible to group or other users; run: chmod 600 " + path);
  }
  if (st.st_size != static_cast<off_t>(kAeadKeyBytes)) {
    return Invalid("master_key_invalid",
                   "master key " + path + " holds " + std::to_string(st.st_size) +
                       " bytes, expected " + std::to_string(kAeadKeyBytes) +
                       "; restore the original file (a new key cannot open the stored "
                       "secrets)");
  }
  std::string bytes(kAeadKeyBytes, '\0');
  if (!Transfer(read, fd.get(), bytes.data(), bytes.size())) {
    int err = errno;
    Secret discarded(std::move(bytes));  // wipes what was read
    return Unavailable("read", path, err);
  }
  return std::optional<Secret>(Secret(std::move(bytes)));
}

// Makes `path`'s directory entry durable (after a link or rename).
void SyncDirectoryOf(const std::string& path) {
  std::string dir = std::filesystem::path(path).parent_path().string();
  Fd dir_fd(open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dir_fd.get() >= 0) {
    fsync(dir_fd.get());
  }
}

// Writes a new key to a private temporary file, syncs it, then link()s it into place:
// link fails with EEXIST instead of replacing a key another process published first, and
// the key appears whole or not at all.
Status CreateKey(const std::string& path, Random& random) {
  std::string temp = path + ".tmp-XXXXXX";
  Fd fd(mkostemp(temp.data(), O_CLOEXEC));  // mode 0600
  if (fd.get() < 0) {
    return Unavailable("create", path, errno);
  }
  std::string bytes(kAeadKeyBytes, '\0');
  random.Fill(std::span<uint8_t>(reinterpret_cast<uint8_t*>(bytes.data()), bytes.size()));
  Secret new_key(std::move(bytes));  // wiped however this function returns
  std::string_view key = new_key.Reveal(SecretAccess::Grant());
  bool written = Transfer(write, fd.get(), key.data(), key.size()) && fsync(fd.get()) == 0;
  int err = errno;
  Status status;
  if (!written) {
    status = Unavailable("write", path, err);
  } else if (link(temp.c_str(), path.c_str()) != 0 && errno != EEXIST) {
    status = Unavailable("create", path, errno);
  }
  unlink(temp.c_str());
  if (status.ok()) {
    SyncDirectoryOf(path);  // make the new directory entry durable too
  }
  return status;
}

// The text the key check seals, and its aad (a kid, a base64url thumbprint, or a
// secret's aad never has this form).
constexpr std::string_view kCheckText = "signet master key check v1";
constexpr std::string_view kCheckAad = "signet:master_key_check";

Status Mismatch() {
  return Invalid("master_key_mismatch",
                 "the master key does not open this database: its secrets were sealed under "
                 "another key, and nothing was changed. Start with the key this database was "
                 "made with: restore the master key file from the backup taken with this "
                 "database, or set " +
                     std::string(kMasterKeyEnvVar) +
                     " to that key. If a master-key rotation was interrupted, the key is in "
                     "the key file's path with .new appended: run the rotation again to "
                     "install it");
}

Status CheckKeySize(const Secret& key, std::string_view which) {
  if (key.size() != kAeadKeyBytes) {
    return Invalid("master_key_invalid", std::string(which) + " is " + std::to_string(key.size()) +
                                             " bytes, expected " + std::to_string(kAeadKeyBytes));
  }
  return Status::Ok();
}

// Whether `sealed` opens under `key` with `aad`; errors other than decrypt_failed pass
// through.
Result<bool> Opens(const Secret& key, std::string_view sealed, std::string_view aad) {
  auto opened = AeadOpen(key, sealed, aad);
  if (opened.ok()) {
    return true;
  }
  if (opened.status().reason() == "decrypt_failed") {
    return false;
  }
  return opened.status();
}

Status VerifyCheck(const Secret& key, std::string_view check) {
  auto opened = AeadOpen(key, check, kCheckAad);
  if (!opened.ok()) {
    return opened.status().reason() == "decrypt_failed" ? Mismatch() : opened.status();
  }
  return opened->Reveal(SecretAccess::Grant()) == kCheckText ? Status::Ok() : Mismatch();
}

// Whether every signing key and secret data key in the store opens under `key`.
Result<bool> OpensEverything(Store& store, const Secret& key) {
  SIGNET_ASSIGN_OR_RETURN(std::vector<SigningKeyRow> keys, store.ListSigningKeys());
  for (const SigningKeyRow& row : keys) {
    SIGNET_ASSIGN_OR_RETURN(bool opens, Opens(key, row.sealed_private_key, row.kid));
    if (!opens) {
      return false;
    }
  }
  SIGNET_ASSIGN_OR_RETURN(std::vector<SecretMeta> secrets, store.ListSecrets());
  for (const SecretMeta& meta : secrets) {
    SIGNET_ASSIGN_OR_RETURN(std::optional<SecretRow> row, store.GetSecret(meta.name));
    if (!row) {
      continue;  // deleted meanwhile
    }
    SIGNET_ASSIGN_OR_RETURN(
        bool opens, Opens(key, row->sealed_data_key, SecretDataKeyAad(row->name, row->version)));
    if (!opens) {
      return false;
    }
  }
  return true;
}

Status RemoveFile(const std::string& path) {
  if (unlink(path.c_str()) != 0 && errno != ENOENT) {
    return Unavailable("remove", path, errno);
  }
  return Status::Ok();
}

// Step 3 of RotateMasterKeyFile: the database already uses the key in `pending`.
Status Install(const std::string& pending, const std::string& path) {
  if (rename(pending.c_str(), path.c_str()) != 0) {
    int err = errno;
    return Status(ErrorCode::kServerError, "master_key_unavailable",
                  "the database is now sealed under the master key in " + pending +
                      " but it cannot be renamed to " + path + " (" + std::strerror(err) +
                      "): fix that and run the rotation again, or run: mv " + pending + " " + path);
  }
  SyncDirectoryOf(path);
  return Status::Ok();
}

}  // namespace

Result<Secret> LoadOrCreateMasterKey(const std::string& path, Random& random) {
  SIGNET_ASSIGN_OR_RETURN(std::optional<Secret> key, ReadKey(path));
  if (key) {
    return std::move(*key);
  }
  SIGNET_RETURN_IF_ERROR(CreateKey(path, random));
  // Read back whichever key won, ours or a concurrent start's.
  SIGNET_ASSIGN_OR_RETURN(key, ReadKey(path));
  if (!key) {
    return Unavailable("read back", path, ENOENT);
  }
  return std::move(*key);
}

Result<Secret> ParseMasterKeyText(std::string_view text) {
  std::string bytes;
  bool decoded = false;
  if (text.size() == 2 * kAeadKeyBytes) {
    bytes.assign(kAeadKeyBytes, '\0');
    auto nibble = [](char c) -> int {
      if (c >= '0' && c <= '9') return c - '0';
      if (c >= 'a' && c <= 'f') return c - 'a' + 10;
      if (c >= 'A' && c <= 'F') return c - 'A' + 10;
      return -1;
    };
    decoded = true;
    for (size_t i = 0; i < kAeadKeyBytes && decoded; ++i) {
      int hi = nibble(text[2 * i]), lo = nibble(text[2 * i + 1]);
      decoded = hi >= 0 && lo >= 0;
      bytes[i] = static_cast<char>(decoded ? (hi << 4) | lo : 0);
    }
  } else {
    decoded = Base64UrlDecodeTo(text, bytes) && bytes.size() == kAeadKeyBytes;
  }
  Secret key(std::move(bytes));  // wiped however this function returns
  if (!decoded) {
    return Invalid("master_key_invalid",
                   std::string(kMasterKeyEnvVar) +
                       " must hold the 32-byte master key as 64 hex "
                       "digits or 43 unpadded base64url characters, with no spaces or newline "
                       "(make one with: openssl rand -hex 32); it holds " +
                       std::to_string(text.size()) + " characters that are neither");
  }
  return key;
}

Result<Secret> LoadMasterKey(std::optional<std::string_view> env_value, const std::string& path,
                             Random& random) {
  if (!env_value) {
    return LoadOrCreateMasterKey(path, random);
  }
  if (env_value->empty()) {
    return Invalid("master_key_invalid", std::string(kMasterKeyEnvVar) +
                                             " is set but empty; set it to the master key, or "
                                             "unset it to use the key file " +
                                             path);
  }
  return ParseMasterKeyText(*env_value);
}

Result<Secret> LoadMasterKeyFromEnvOrFile(const std::string& path, Random& random) {
  const char* value = std::getenv(kMasterKeyEnvVar);
  return LoadMasterKey(value ? std::optional<std::string_view>(value) : std::nullopt, path, random);
}

Status VerifyMasterKey(Store& store, const Secret& master_key, Random& random) {
  SIGNET_RETURN_IF_ERROR(CheckKeySize(master_key, "the master key"));
  SIGNET_ASSIGN_OR_RETURN(std::optional<std::string> check, store.GetMeta(kMasterKeyCheckMeta));
  if (check) {
    return VerifyCheck(master_key, *check);
  }
  // No check yet: record one only for a key that opens everything already stored.
  SIGNET_ASSIGN_OR_RETURN(bool opens, OpensEverything(store, master_key));
  if (!opens) {
    return Mismatch();
  }
  SIGNET_ASSIGN_OR_RETURN(std::string sealed,
                          AeadSeal(master_key, Secret(std::string(kCheckText)), kCheckAad, random));
  SIGNET_ASSIGN_OR_RETURN(bool inserted, store.InsertMetaIfAbsent(kMasterKeyCheckMeta, sealed));
  if (inserted) {
    return Status::Ok();
  }
  // Another process recorded a check first: ours must open it too.
  SIGNET_ASSIGN_OR_RETURN(check, store.GetMeta(kMasterKeyCheckMeta));
  return check ? VerifyCheck(master_key, *check) : Mismatch();
}

Status RotateMasterKey(Store& store, const Secret& old_key, const Secret& new_key, Random& random) {
  SIGNET_RETURN_IF_ERROR(CheckKeySize(new_key, "the new master key"));
  if (new_key.Equals(old_key)) {
    return Invalid("master_key_invalid", "the new master key is the current one");
  }
  SIGNET_RETURN_IF_ERROR(VerifyMasterKey(store, old_key, random));
  MasterKeyRewrap rewrap;
  SIGNET_ASSIGN_OR_RETURN(std::vector<SigningKeyRow> keys, store.ListSigningKeys());
  for (const SigningKeyRow& row : keys) {
    auto pem = AeadOpen(old_key, row.sealed_private_key, row.kid);
    if (!pem.ok()) {
      return pem.status().WithContext("signing key " + row.kid);
    }
    SIGNET_ASSIGN_OR_RETURN(std::string sealed, AeadSeal(new_key, *pem, row.kid, random));
    rewrap.signing_keys.push_back({row.kid, std::move(sealed)});
  }
  SIGNET_ASSIGN_OR_RETURN(std::vector<SecretMeta> secrets, store.ListSecrets());
  for (const SecretMeta& meta : secrets) {
    SIGNET_ASSIGN_OR_RETURN(std::optional<SecretRow> row, store.GetSecret(meta.name));
    if (!row) {
      return Status(ErrorCode::kServerError, "rewrap_conflict",
                    "secret " + meta.name +
                        " was deleted while the master key was being rotated; nothing was "
                        "changed: run the rotation again, with signetd stopped");
    }
    std::string aad = SecretDataKeyAad(row->name, row->version);
    auto data_key = AeadOpen(old_key, row->sealed_data_key, aad);
    if (!data_key.ok()) {
      return data_key.status().WithContext("secret " + row->name + " data key");
    }
    SIGNET_ASSIGN_OR_RETURN(std::string sealed, AeadSeal(new_key, *data_key, aad, random));
    rewrap.secrets.push_back({row->name, row->version, std::move(sealed)});
  }
  SIGNET_ASSIGN_OR_RETURN(std::string check,
                          AeadSeal(new_key, Secret(std::string(kCheckText)), kCheckAad, random));
  rewrap.meta.emplace_back(std::string(kMasterKeyCheckMeta), std::move(check));
  return store.RewrapAll(rewrap);
}

Result<MasterKeyRotation> RotateMasterKeyFile(Store& store, const std::string& path,
                                              Random& random) {
  SIGNET_ASSIGN_OR_RETURN(std::optional<Secret> current, ReadKey(path));
  if (!current) {
    return Invalid("master_key_invalid",
                   "master key " + path + " does not exist: there is no key to rotate");
  }
  const std::string pending_path = path + ".new";
  SIGNET_ASSIGN_OR_RETURN(std::optional<Secret> pending, ReadKey(pending_path));
  Status current_opens = VerifyMasterKey(store, *current, random);
  if (pending) {
    if (current_opens.ok()) {
      // Left by a rotation that stopped before its commit: the database never used it.
      SIGNET_RETURN_IF_ERROR(RemoveFile(pending_path));
    } else if (current_opens.reason() == "master_key_mismatch") {
      // A rotation committed but stopped before the rename: finish it.
      SIGNET_RETURN_IF_ERROR(
          VerifyMasterKey(store, *pending, random).WithContext("master key " + pending_path));
      SIGNET_RETURN_IF_ERROR(Install(pending_path, path));
      return MasterKeyRotation::kFinished;
    } else {
      return current_opens;
    }
  } else {
    SIGNET_RETURN_IF_ERROR(current_opens.WithContext("master key " + path));
  }

  SIGNET_RETURN_IF_ERROR(CreateKey(pending_path, random));
  SIGNET_ASSIGN_OR_RETURN(pending, ReadKey(pending_path));
  if (!pending) {
    return Unavailable("read back", pending_path, ENOENT);
  }
  if (Status s = RotateMasterKey(store, *current, *pending, random); !s.ok()) {
    // The rewrap is all or nothing; remove the new key only once the database is seen to
    // still use the current one.
    if (VerifyMasterKey(store, *current, random).ok()) {
      static_cast<void>(RemoveFile(pending_path));  // report the first error
    }
    return s;
  }
  SIGNET_RETURN_IF_ERROR(Install(pending_path, path));
  return MasterKeyRotation::kRotated;
}

}  // namespace signet::store
