#include "store/signing_keys.h"

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/aead.h"

namespace signet::store {
namespace {

// A change refused because another process changed the keys first is planned again
// from the keys it left, up to this many times; then the conflict is reported.
constexpr int kChangeAttempts = 4;

enum class Mode {
  kStartUp,    // a signer of `alg` if there is none
  kMaintain,   // deletions, retirements, scheduled rotation, a signer if there is none
  kRotateNow,  // a new pending key
};

// Generates a key of `alg` and its row (sealed, named by its thumbprint).
Result<SigningKeyRow> NewKeyRow(const Secret& master_key, jose::Algorithm alg, Random& random,
                                int64_t now, int64_t activates_at) {
  // The kid is a function of the public key, which exists only once the key does:
  // generate, then seal the same key material under its thumbprint.
  SIGNET_ASSIGN_OR_RETURN(jose::SigningKey generated, jose::SigningKey::Generate(alg, "pending"));
  std::string kid = generated.public_jwk().Thumbprint();
  SIGNET_ASSIGN_OR_RETURN(std::string sealed,
                          AeadSeal(master_key, generated.ToPkcs8Pem(), kid, random));
  SigningKeyRow row;
  row.kid = std::move(kid);
  row.algorithm = std::string(jose::AlgorithmName(alg));
  row.sealed_private_key = std::move(sealed);
  row.created_at = now;
  row.activates_at = activates_at;
  return row;
}

// The change `mode` calls for at `now`, planned from `rows`; empty when there is nothing
// to do.
Result<SigningKeyChange> Plan(const std::vector<SigningKeyRow>& rows, Mode mode,
                              const Secret& master_key, jose::Algorithm alg, Random& random,
                              int64_t now, const RotationSettings& settings) {
  SigningKeyChange change;
  std::vector<SigningKeyRow> kept;
  for (const SigningKeyRow& row : rows) {
    change.expected_kids.push_back(row.kid);
    if (mode == Mode::kMaintain && !IsPublishedAt(row, now)) {
      change.deletes.push_back(row.kid);
    } else {
      kept.push_back(row);
    }
  }
  const std::string_view name = jose::AlgorithmName(alg);
  const bool signing = SignerAt(kept, name, now).has_value();
  std::optional<int64_t> activates_at;
  switch (mode) {
    case Mode::kStartUp:
      if (!signing) {
        activates_at = now;
      }
      break;
    case Mode::kMaintain:
      if (!signing) {
        activates_at = now;
      } else if (auto due = NextRotationAt(kept, name, now, settings); due && *due <= now) {
        activates_at = RotationActivatesAt(kept, name, now, settings);
      }
      break;
    case Mode::kRotateNow:
      if (std::optional<size_t> pending = PendingAt(kept, name, now)) {
        return Status(
            ErrorCode::kInvalidRequest, "signing_key_pending",
            "signing key " + kept[*pending].kid + " is already pending (it activates at " +
                std::to_string(kept[*pending].activates_at) + "); one rotation at a time");
      }
      activates_at = signing ? now + static_cast<int64_t>(settings.prepublish.count()) : now;
      break;
  }
  if (mode == Mode::kStartUp && !activates_at) {
    return SigningKeyChange();  // start-up writes only when it must
  }
  if (activates_at) {
    SIGNET_ASSIGN_OR_RETURN(SigningKeyRow row,
                            NewKeyRow(master_key, alg, random, now, *activates_at));
    kept.push_back(row);
    change.inserts.push_back(std::move(row));
  }
  for (SigningKeySchedule& schedule : ScheduleRetirements(kept, settings)) {
    bool is_new = !change.inserts.empty() && change.inserts.back().kid == schedule.kid;
    if (is_new) {  // the new key itself retires (a later key is pending already)
      change.inserts.back().retires_at = schedule.retires_at;
      change.inserts.back().unpublish_at = schedule.unpublish_at;
    } else {
      change.schedules.push_back(std::move(schedule));
    }
  }
  return change;
}

bool Empty(const SigningKeyChange& change) {
  return change.inserts.empty() && change.schedules.empty() && change.deletes.empty();
}

// Reads and opens the keys, plans the change `mode` calls for, applies it, and returns
// the keys as stored afterwards; re-plans when another process changed the keys first.
Result<KeyRing> Run(Mode mode, Store& store, const Secret& master_key, jose::Algorithm alg,
                    Random& random, const Clock& clock, const RotationSettings& settings) {
  SIGNET_RETURN_IF_ERROR(ValidateRotationSettings(settings));
  const int64_t now = ToUnixSecondsFloor(clock.Now());
  bool applied = false;
  Status last;
  for (int attempt = 0;; ++attempt) {
    SIGNET_ASSIGN_OR_RETURN(std::vector<SigningKeyRow> rows, store.ListSigningKeys());
    // Opened before anything is written: a wrong master key changes nothing.
    SIGNET_ASSIGN_OR_RETURN(KeyRing ring, KeyRing::Open(std::move(rows), master_key));
    if (applied) {
      return ring;
    }
    if (attempt == kChangeAttempts) {
      return last;
    }
    SIGNET_ASSIGN_OR_RETURN(SigningKeyChange change,
                            Plan(ring.rows(), mode, master_key, alg, random, now, settings));
    if (Empty(change)) {
      return ring;
    }
    last = store.ChangeSigningKeys(change);
    if (last.ok()) {
      applied = true;
    } else if (last.reason() != "signing_key_conflict") {
      return last;
    }
  }
}

}  // namespace

Result<KeyRing> LoadOrCreateKeyRing(Store& store, const Secret& master_key, jose::Algorithm alg,
                                    Random& random, const Clock& clock,
                                    const RotationSettings& settings) {
  return Run(Mode::kStartUp, store, master_key, alg, random, clock, settings);
}

Result<SigningKeys> LoadOrCreateSigningKeys(Store& store, const Secret& master_key,
                                            jose::Algorithm alg, Random& random, const Clock& clock,
                                            const RotationSettings& settings) {
  SIGNET_ASSIGN_OR_RETURN(KeyRing ring,
                          LoadOrCreateKeyRing(store, master_key, alg, random, clock, settings));
  return ring.At(clock.Now(), alg);
}

Result<KeyRing> RotateSigningKeyNow(Store& store, const Secret& master_key, jose::Algorithm alg,
                                    Random& random, const Clock& clock,
                                    const RotationSettings& settings) {
  return Run(Mode::kRotateNow, store, master_key, alg, random, clock, settings);
}

Result<KeyRing> MaintainSigningKeys(Store& store, const Secret& master_key, jose::Algorithm alg,
                                    Random& random, const Clock& clock,
                                    const RotationSettings& settings) {
  return Run(Mode::kMaintain, store, master_key, alg, random, clock, settings);
}

}  // namespace signet::store
