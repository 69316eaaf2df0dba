#include "store/secrets.h"

#include <optional>
#include <span>
#include <utility>

#include "common/aead.h"

namespace signet::store {
namespace {

// Put re-reads and re-seals when another writer replaced the secret in between; past
// this many attempts the conflict is reported.
constexpr int kPutAttempts = 3;

Status NotFound(std::string_view name) {
  return Status(ErrorCode::kInvalidRequest, "secret_not_found",
                "no secret named " + std::string(name));
}

bool NameChar(char c, bool first) {
  bool alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
  return alnum || (!first && (c == '.' || c == '_' || c == '-'));
}

Secret NewDataKey(Random& random) {
  std::string bytes(kAeadKeyBytes, '\0');
  random.Fill(std::span<uint8_t>(reinterpret_cast<uint8_t*>(bytes.data()), bytes.size()));
  return Secret(std::move(bytes));
}

std::string Aad(std::string_view name, int64_t version, std::string_view part) {
  return "secret:" + std::string(name) + "#" + std::to_string(version) + ":" + std::string(part);
}

SecretInfo Info(const SecretRow& row) {
  return SecretInfo{row.name, row.version, row.created_at, row.updated_at};
}

}  // namespace

Status ValidateSecretName(std::string_view name) {
  bool valid = !name.empty() && name.size() <= kMaxSecretNameBytes;
  for (size_t i = 0; valid && i < name.size(); ++i) {
    valid = NameChar(name[i], i == 0);
  }
  if (valid) {
    return Status::Ok();
  }
  // The name may be anything a client sent: describe it, do not echo it.
  return Status(ErrorCode::kInvalidRequest, "secret_name_invalid",
                "a secret name is 1 to " + std::to_string(kMaxSecretNameBytes) +
                    " characters of a-z, 0-9, '.', '_' and '-', starting with a letter or "
                    "digit (got " +
                    std::to_string(name.size()) + " characters)");
}

std::string SecretDataKeyAad(std::string_view name, int64_t version) {
  return Aad(name, version, "data_key");
}

std::string SecretValueAad(std::string_view name, int64_t version) {
  return Aad(name, version, "value");
}

SecretVault::SecretVault(Store& store, const Secret& master_key, Random& random, const Clock& clock)
    : store_(store), master_key_(master_key), random_(random), clock_(clock) {}

Result<SecretInfo> SecretVault::Put(std::string_view name, const Secret& value) {
  SIGNET_RETURN_IF_ERROR(ValidateSecretName(name));
  if (value.empty()) {
    return Status(ErrorCode::kInvalidRequest, "secret_value_invalid",
                  "the value of secret " + std::string(name) + " is empty");
  }
  if (value.size() > kMaxSecretValueBytes) {
    return Status(ErrorCode::kInvalidRequest, "secret_value_too_large",
                  "the value of secret " + std::string(name) + " is " +
                      std::to_string(value.size()) + " bytes; the limit is " +
                      std::to_string(kMaxSecretValueBytes));
  }
  Status last;
  for (int attempt = 0; attempt < kPutAttempts; ++attempt) {
    SIGNET_ASSIGN_OR_RETURN(std::optional<SecretRow> stored, store_.GetSecret(name));
    int64_t now = ToUnixSecondsFloor(clock_.Now());
    SecretRow row;
    row.name = std::string(name);
    row.version = stored ? stored->version + 1 : 1;
    row.created_at = stored ? stored->created_at : now;
    row.updated_at = now;
    Secret data_key = NewDataKey(random_);
    SIGNET_ASSIGN_OR_RETURN(row.sealed_value,
                            AeadSeal(data_key, value, SecretValueAad(name, row.version), random_));
    SIGNET_ASSIGN_OR_RETURN(
        row.sealed_data_key,
        AeadSeal(master_key_, data_key, SecretDataKeyAad(name, row.version), random_));
    last = store_.PutSecret(row);
    if (last.ok()) {
      return Info(row);
    }
    if (last.reason() != "secret_version_conflict") {
      return last;
    }
  }
  return last;
}

Result<std::vector<SecretInfo>> SecretVault::List() {
  SIGNET_ASSIGN_OR_RETURN(std::vector<SecretMeta> rows, store_.ListSecrets());
  std::vector<SecretInfo> infos;
  infos.reserve(rows.size());
  for (SecretMeta& row : rows) {
    infos.push_back(SecretInfo{std::move(row.name), row.version, row.created_at, row.updated_at});
  }
  return infos;
}

Status SecretVault::Delete(std::string_view name) {
  SIGNET_RETURN_IF_ERROR(ValidateSecretName(name));
  SIGNET_ASSIGN_OR_RETURN(bool deleted, store_.DeleteSecret(name));
  return deleted ? Status::Ok() : NotFound(name);
}

Result<Secret> SecretVault::Open(std::string_view name) {
  SIGNET_RETURN_IF_ERROR(ValidateSecretName(name));
  SIGNET_ASSIGN_OR_RETURN(std::optional<SecretRow> row, store_.GetSecret(name));
  if (!row) {
    return NotFound(name);
  }
  auto data_key = AeadOpen(master_key_, row->sealed_data_key, SecretDataKeyAad(name, row->version));
  if (!data_key.ok()) {
    return data_key.status().WithContext("secret " + std::string(name) + " data key");
  }
  auto value = AeadOpen(*data_key, row->sealed_value, SecretValueAad(name, row->version));
  if (!value.ok()) {
    return value.status().WithContext("secret " + std::string(name) + " value");
  }
  return value;
}

}  // namespace signet::store
