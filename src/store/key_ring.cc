#include "store/key_ring.h"

#include <algorithm>
#include <map>
#include <string>
#include <utility>

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

int64_t Seconds(std::chrono::seconds d) { return static_cast<int64_t>(d.count()); }

}  // namespace

Status ValidateRotationSettings(const RotationSettings& settings) {
  auto invalid = [](std::string why) {
    return Status(ErrorCode::kInvalidConfig, "signing_key_rotation_invalid",
                  "signing key rotation: " + why);
  };
  if (settings.prepublish.count() < 0 || settings.rotate_every.count() < 0 ||
      settings.margin.count() < 0) {
    return invalid("prepublish, rotate_every and margin must not be negative");
  }
  if (settings.max_token_lifetime.count() <= 0) {
    return invalid("max_token_lifetime must be positive");
  }
  if (settings.rotate_every.count() != 0 && settings.rotate_every < settings.prepublish) {
    return invalid("rotate_every must be 0 (no automatic rotation) or at least prepublish (" +
                   std::to_string(settings.prepublish.count()) + " s)");
  }
  return Status::Ok();
}

bool IsPublishedAt(const SigningKeyRow& row, int64_t now) {
  return row.unpublish_at == 0 || now < row.unpublish_at;
}

bool IsActiveAt(const SigningKeyRow& row, int64_t now) {
  return row.activates_at <= now && (row.retires_at == 0 || now < row.retires_at);
}

std::optional<size_t> SignerAt(const std::vector<SigningKeyRow>& rows, std::string_view alg,
                               int64_t now) {
  std::optional<size_t> signer;
  for (size_t i = 0; i < rows.size(); ++i) {
    const SigningKeyRow& row = rows[i];
    if (row.algorithm == alg && IsActiveAt(row, now) &&
        (!signer || row.activates_at >= rows[*signer].activates_at)) {
      signer = i;
    }
  }
  return signer;
}

std::optional<size_t> PendingAt(const std::vector<SigningKeyRow>& rows, std::string_view alg,
                                int64_t now) {
  for (size_t i = 0; i < rows.size(); ++i) {
    if (rows[i].algorithm == alg && rows[i].activates_at > now) {
      return i;
    }
  }
  return std::nullopt;
}

std::optional<int64_t> NextRotationAt(const std::vector<SigningKeyRow>& rows, std::string_view alg,
                                      int64_t now, const RotationSettings& settings) {
  if (settings.rotate_every.count() == 0 || PendingAt(rows, alg, now)) {
    return std::nullopt;
  }
  std::optional<size_t> signer = SignerAt(rows, alg, now);
  if (!signer) {
    return std::nullopt;
  }
  return rows[*signer].activates_at + Seconds(settings.rotate_every) - Seconds(settings.prepublish);
}

int64_t RotationActivatesAt(const std::vector<SigningKeyRow>& rows, std::string_view alg,
                            int64_t now, const RotationSettings& settings) {
  int64_t soonest = now + Seconds(settings.prepublish);
  std::optional<size_t> signer = SignerAt(rows, alg, now);
  if (!signer || settings.rotate_every.count() == 0) {
    return soonest;
  }
  return std::max(soonest, rows[*signer].activates_at + Seconds(settings.rotate_every));
}

std::vector<SigningKeySchedule> ScheduleRetirements(const std::vector<SigningKeyRow>& rows,
                                                    const RotationSettings& settings) {
  // Each algorithm's keys in activation order (ties: row order).
  std::map<std::string, std::vector<size_t>> lineages;
  for (size_t i = 0; i < rows.size(); ++i) {
    lineages[rows[i].algorithm].push_back(i);
  }
  std::vector<SigningKeySchedule> schedules;
  for (auto& [alg, lineage] : lineages) {
    std::stable_sort(lineage.begin(), lineage.end(), [&rows](size_t a, size_t b) {
      return rows[a].activates_at < rows[b].activates_at;
    });
    for (size_t j = 0; j + 1 < lineage.size(); ++j) {
      const SigningKeyRow& row = rows[lineage[j]];
      int64_t next_activates = rows[lineage[j + 1]].activates_at;
      int64_t retires =
          row.retires_at != 0 ? std::min(row.retires_at, next_activates) : next_activates;
      // Never shortened: tokens signed under a longer max_token_lifetime (another
      // replica's, or this one's before a configuration lowered it) may still be alive.
      int64_t unpublish =
          std::max(row.unpublish_at,
                   retires + Seconds(settings.max_token_lifetime) + Seconds(settings.margin));
      if (retires == row.retires_at && unpublish == row.unpublish_at) {
        continue;  // already retires in time and stays published long enough
      }
      schedules.push_back(SigningKeySchedule{row.kid, retires, unpublish});
    }
  }
  return schedules;
}

std::optional<int64_t> NextChangeAt(const std::vector<SigningKeyRow>& rows, std::string_view alg,
                                    int64_t now, const RotationSettings& settings) {
  std::optional<int64_t> next;
  auto consider = [&](int64_t t) {
    if (!next || t < *next) {
      next = t;
    }
  };
  for (const SigningKeyRow& row : rows) {
    for (int64_t t : {row.activates_at, row.retires_at}) {
      if (t > now) {
        consider(t);
      }
    }
    if (row.unpublish_at != 0) {
      consider(std::max(row.unpublish_at, now));  // past it: to be deleted now
    }
  }
  if (std::optional<int64_t> rotation = NextRotationAt(rows, alg, now, settings)) {
    consider(std::max(*rotation, now));
  }
  return next;
}

Result<KeyRing> KeyRing::Open(std::vector<SigningKeyRow> rows, const Secret& master_key) {
  std::vector<jose::SigningKey> keys;
  keys.reserve(rows.size());
  for (const SigningKeyRow& row : rows) {
    SIGNET_ASSIGN_OR_RETURN(jose::SigningKey key, OpenRow(row, master_key));
    keys.push_back(std::move(key));
  }
  return KeyRing(std::move(rows), std::move(keys));
}

Result<SigningKeys> KeyRing::At(SystemTime now, jose::Algorithm alg) const {
  int64_t t = ToUnixSecondsFloor(now);
  std::optional<size_t> signer = SignerAt(rows_, jose::AlgorithmName(alg), t);
  if (!signer) {
    return Status(ErrorCode::kServerError, "signing_key_missing",
                  "no stored " + std::string(jose::AlgorithmName(alg)) +
                      " signing key is active at " + std::to_string(t));
  }
  std::vector<jose::Jwk> published;
  for (size_t i = 0; i < rows_.size(); ++i) {
    if (IsPublishedAt(rows_[i], t)) {
      published.push_back(keys_[i].public_jwk());
    }
  }
  return SigningKeys{keys_[*signer], jose::Jwks(std::move(published))};
}

std::optional<SystemTime> KeyRing::NextChange(SystemTime now, jose::Algorithm alg,
                                              const RotationSettings& settings) const {
  std::optional<int64_t> next =
      NextChangeAt(rows_, jose::AlgorithmName(alg), ToUnixSecondsFloor(now), settings);
  if (!next) {
    return std::nullopt;
  }
  return FromUnixSeconds(*next);
}

}  // namespace signet::store
