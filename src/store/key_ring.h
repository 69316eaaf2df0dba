// The signing-key lifecycle: which stored key signs, and which are published, at a time.
//
// Every signing key has four times (SigningKeyRow, unix seconds, 0 = not set):
//
//   created_at ── published ──> activates_at ── signs ──> retires_at ── published ──> unpublish_at
//
// A key is published (in signetd's JWKS) from the moment it is stored, so relying parties
// that cache the JWKS know it before it signs anything (pre-publication). It signs from
// activates_at until retires_at, which is the activates_at of the next key of the same
// algorithm. It stays published until unpublish_at = retires_at + max_token_lifetime +
// margin, so every token it signed verifies until it expires; after that the key has no
// use and MaintainSigningKeys (signing_keys.h) deletes it, private key and all.
//
// Keys of different algorithms form separate lineages: a key retires only when the next
// key of its own algorithm activates. Keys of an algorithm signetd no longer signs with
// stay published until a key of their algorithm replaces them (switching algorithm does
// not retire the old one, so a replica still configured with it keeps working).
//
// Everything here is pure: a function of the rows and `now`, no store and no clock.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/secret.h"
#include "common/status.h"
#include "jose/algorithm.h"
#include "jose/jwk.h"
#include "jose/signing_key.h"
#include "store/store.h"

namespace signet::store {

// The rotation policy. Every replica sharing a store should use the same settings: the
// process that rotates writes the schedule that all of them follow.
struct RotationSettings {
  // How long a new key is published before it signs. Longer than the longest time a
  // relying party caches signetd's JWKS (plus how often replicas re-read the keys), or a
  // token from the new key reaches a party that does not know it yet.
  std::chrono::seconds prepublish{24 * 3600};
  // How long each key signs before the next one activates; 0 turns automatic rotation
  // off (RotateSigningKeyNow still rotates). 0 or at least `prepublish`.
  std::chrono::seconds rotate_every{30 * 24 * 3600};
  // The longest lifetime of any token signetd signs.
  std::chrono::seconds max_token_lifetime{3600};
  // Added to max_token_lifetime before a retired key is unpublished: verifiers' clock
  // leeway, clock skew between replicas, and how long a replica may go on signing with
  // a retired key before it re-reads the keys.
  std::chrono::seconds margin{15 * 60};
};

// invalid_config signing_key_rotation_invalid when a duration is negative,
// max_token_lifetime is not positive, or rotate_every is neither 0 nor at least
// prepublish.
Status ValidateRotationSettings(const RotationSettings& settings);

// What signs and what is published at one time.
struct SigningKeys {
  jose::SigningKey current;  // signs everything Signet issues now
  jose::Jwks published;      // public keys of every published key, oldest first
};

// Whether `row` is in the JWKS at `now`: from insertion until unpublish_at.
bool IsPublishedAt(const SigningKeyRow& row, int64_t now);
// Whether `row` may sign at `now`: activates_at <= now < retires_at (or no retires_at).
bool IsActiveAt(const SigningKeyRow& row, int64_t now);

// The index in `rows` of the key of algorithm `alg` (JWS name) that signs at `now`: of
// the active ones, the one that activated last (ties: the later row). nullopt when none.
std::optional<size_t> SignerAt(const std::vector<SigningKeyRow>& rows, std::string_view alg,
                               int64_t now);
// The index of the first key of `alg` still waiting to activate (activates_at > now).
std::optional<size_t> PendingAt(const std::vector<SigningKeyRow>& rows, std::string_view alg,
                                int64_t now);

// When the next automatic rotation starts (a new key of `alg` is generated and
// published), so that it activates rotate_every after the current signer did: the
// signer's activates_at + rotate_every - prepublish. A time <= now means "due now".
// nullopt when rotate_every is 0, a key of `alg` is pending, or none signs.
std::optional<int64_t> NextRotationAt(const std::vector<SigningKeyRow>& rows, std::string_view alg,
                                      int64_t now, const RotationSettings& settings);
// When a rotation that starts at `now` activates its key: the rotate_every schedule,
// but never sooner than now + prepublish.
int64_t RotationActivatesAt(const std::vector<SigningKeyRow>& rows, std::string_view alg,
                            int64_t now, const RotationSettings& settings);

// The schedule changes that make every key retire when the next key of its algorithm
// (by activates_at) activates and be unpublished max_token_lifetime + margin later.
// Keys already retiring no later than that keep their retirement; an unpublish time is
// only ever moved later (a raised max_token_lifetime lengthens it, a lowered one leaves
// it); the newest key of each algorithm keeps its own times (normally none).
std::vector<SigningKeySchedule> ScheduleRetirements(const std::vector<SigningKeyRow>& rows,
                                                    const RotationSettings& settings);

// The first time > now at which the signer of `alg` or the published set changes, or
// `now` itself when MaintainSigningKeys has work already (a rotation due, a key past
// unpublish_at); nullopt when nothing is scheduled.
std::optional<int64_t> NextChangeAt(const std::vector<SigningKeyRow>& rows, std::string_view alg,
                                    int64_t now, const RotationSettings& settings);

// The stored keys, opened. Immutable; safe for concurrent use.
class KeyRing {
 public:
  // Opens every row under `master_key`: a wrong master key or an altered row fails here
  // (server_error decrypt_failed, naming the kid), a row that decrypts but does not hold
  // a key of its algorithm is server_error signing_key_invalid.
  static Result<KeyRing> Open(std::vector<SigningKeyRow> rows, const Secret& master_key);

  // The key of `alg` that signs at `now` and the keys published then. server_error
  // signing_key_missing when no key of `alg` signs at `now`.
  Result<SigningKeys> At(SystemTime now, jose::Algorithm alg) const;
  // NextChangeAt for these keys: when At's answer (or MaintainSigningKeys' work) changes.
  std::optional<SystemTime> NextChange(SystemTime now, jose::Algorithm alg,
                                       const RotationSettings& settings) const;

  // The rows, oldest first, as stored (sealed keys included).
  const std::vector<SigningKeyRow>& rows() const { return rows_; }

 private:
  KeyRing(std::vector<SigningKeyRow> rows, std::vector<jose::SigningKey> keys)
      : rows_(std::move(rows)), keys_(std::move(keys)) {}

  std::vector<SigningKeyRow> rows_;
  std::vector<jose::SigningKey> keys_;  // keys_[i] is rows_[i] opened
};

}  // namespace signet::store
