// SigningKeyRotator: which key signetd signs with and which keys it publishes, kept
// current while the keys rotate (store/key_ring.h has the lifecycle).
//
// It holds an immutable snapshot (the signing key, the published JWKS, the key rows)
// that it replaces whole: a request loads the snapshot once and keeps it to the end, so
// a token is signed with one key and a JWKS is one consistent set, and the next request
// on any thread sees the new snapshot (as policy/kill_switch.h does).
//
// Tick() runs MaintainSigningKeys (deleting unpublished keys, starting a rotation when
// rotate_every is due, seeing keys other replicas wrote) and re-evaluates the snapshot
// from the ring it returns; it does so when the snapshot's next change is due
// (KeyRing::NextChange: a pending key activates, a retired key is unpublished) and every
// `check_every` in any case. Tick reads the injected Clock and never sleeps: tests drive
// it with a SimulatedClock; signetd calls it from the thread Start() runs.
//
// Thread safety: every method may be called concurrently.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "common/background_loop.h"
#include "common/clock.h"
#include "common/random.h"
#include "common/secret.h"
#include "common/status.h"
#include "jose/algorithm.h"
#include "jose/jwk.h"
#include "jose/signing_key.h"
#include "store/key_ring.h"
#include "store/store.h"

namespace signet::server {

struct SigningKeyRotatorOptions {
  jose::Algorithm algorithm = jose::Algorithm::kES256;
  store::RotationSettings settings;
  // How often the keys are re-read and maintained when no change is scheduled sooner:
  // how soon keys another process rotated are seen. Positive.
  std::chrono::seconds check_every{60};
  // Told about a failed Tick on the background thread (Start); the previous snapshot
  // stays in use and the next attempt is `check_every` later.
  std::function<void(const Status&)> on_error;
};

// What signs and what is published, as of one evaluation of the keys.
struct SigningKeySnapshot {
  store::SigningKeys keys;  // keys.current signs, keys.published is the JWKS
  // The stored keys without their sealed private keys, oldest first (for listings).
  std::vector<store::SigningKeyRow> rows;
  SystemTime evaluated_at;
  // When the answer changes next (KeyRing::NextChange); nullopt: nothing scheduled.
  std::optional<SystemTime> next_change;
};

class SigningKeyRotator {
 public:
  // Loads the keys (LoadOrCreateKeyRing: a first key is generated when none of
  // `options.algorithm` signs) and evaluates the first snapshot. invalid_config
  // signing_key_rotation_invalid for bad settings; store and key errors pass through.
  // `store`, `random` and `clock` must outlive the rotator.
  static Result<std::unique_ptr<SigningKeyRotator>> Create(store::Store& store, Secret master_key,
                                                           SigningKeyRotatorOptions options,
                                                           Random& random, const Clock& clock);
  ~SigningKeyRotator();  // stops the thread

  SigningKeyRotator(const SigningKeyRotator&) = delete;
  SigningKeyRotator& operator=(const SigningKeyRotator&) = delete;

  // The snapshot in force. Never null.
  std::shared_ptr<const SigningKeySnapshot> Current() const {
    return snapshot_.load(std::memory_order_acquire);
  }
  // The key that signs now and the published JWKS; each keeps its snapshot alive.
  std::shared_ptr<const jose::SigningKey> SigningKey() const;
  std::shared_ptr<const jose::Jwks> PublishedKeys() const;

  // When maintenance and re-evaluation are due (now, or the next change, or
  // check_every after the last run), runs them and replaces the snapshot. Does nothing
  // before then, so calling it again at the same time changes nothing. On an error the
  // snapshot is kept and the next attempt is check_every later.
  Status Tick();
  // When Tick has work next.
  SystemTime NextTick() const;

  // RotateSigningKeyNow, then a new snapshot (the new key is published at once and
  // signs from its activates_at). Returns the new key's row (no private key).
  // invalid_request signing_key_pending while a rotation is pending.
  Result<store::SigningKeyRow> RotateNow();

  // Tokens may live up to `lifetime` from now on (an applied configuration raised a
  // max_ttl): keys retiring or retired keep being published that long after they stop
  // signing (from the next Tick, which this makes due at once). A shorter lifetime changes
  // nothing, since tokens issued before may still live longer.
  void RaiseMaxTokenLifetime(std::chrono::seconds lifetime);

  // Runs Tick on a thread of its own, at NextTick (and after RotateNow) until Stop.
  void Start();
  void Stop();

 private:
  SigningKeyRotator(store::Store& store, Secret master_key, SigningKeyRotatorOptions options,
                    Random& random, const Clock& clock);
  // Replaces the snapshot with `ring` evaluated at `now` and schedules the next tick.
  // Requires mu_ (or no other user yet).
  Status Publish(const store::KeyRing& ring, SystemTime now);
  SystemTime NextTickLocked() const;  // requires mu_

  store::Store& store_;
  const Secret master_key_;
  const SigningKeyRotatorOptions options_;
  Random& random_;
  const Clock& clock_;

  std::atomic<std::shared_ptr<const SigningKeySnapshot>> snapshot_;

  // One writer of the keys at a time; guards the schedule and settings below.
  mutable std::mutex mu_;
  store::RotationSettings settings_;       // options_.settings, max_token_lifetime raised
  SystemTime next_maintenance_;            // check_every after the last evaluation
  std::optional<SystemTime> next_change_;  // KeyRing::NextChange of the last evaluation
  SystemTime last_run_;

  // Last: stopped (and joined) before anything its step uses is destroyed.
  BackgroundLoop loop_;
};

}  // namespace signet::server
