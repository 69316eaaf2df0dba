#include "server/signing_key_rotator.h"

#include <algorithm>

#include "store/signing_keys.h"

namespace signet::server {
namespace {

// A Tick that finds work "now" again right after doing it (a change it could not make)
// waits this long rather than spinning.
constexpr std::chrono::seconds kMinTickInterval{1};

}  // namespace

Result<std::unique_ptr<SigningKeyRotator>> SigningKeyRotator::Create(
    store::Store& store, Secret master_key, SigningKeyRotatorOptions options, Random& random,
    const Clock& clock) {
  SIGNET_RETURN_IF_ERROR(store::ValidateRotationSettings(options.settings));
  if (options.check_every.count() <= 0) {
    return Status(ErrorCode::kInvalidConfig, "signing_key_rotation_invalid",
                  "signing key rotation: the check interval must be positive");
  }
  std::unique_ptr<SigningKeyRotator> rotator(
      new SigningKeyRotator(store, std::move(master_key), std::move(options), random, clock));
  SIGNET_ASSIGN_OR_RETURN(
      store::KeyRing ring,
      store::LoadOrCreateKeyRing(store, rotator->master_key_, rotator->options_.algorithm, random,
                                 clock, rotator->settings_));
  // Read after the keys were written: a key created just now is active at this time.
  SIGNET_RETURN_IF_ERROR(rotator->Publish(ring, clock.Now()));
  return rotator;
}

SigningKeyRotator::SigningKeyRotator(store::Store& store, Secret master_key,
                                     SigningKeyRotatorOptions options, Random& random,
                                     const Clock& clock)
    : store_(store),
      master_key_(std::move(master_key)),
      options_(std::move(options)),
      random_(random),
      clock_(clock),
      settings_(options_.settings) {}

SigningKeyRotator::~SigningKeyRotator() { Stop(); }

std::shared_ptr<const jose::SigningKey> SigningKeyRotator::SigningKey() const {
  std::shared_ptr<const SigningKeySnapshot> snapshot = Current();
  return std::shared_ptr<const jose::SigningKey>(snapshot, &snapshot->keys.current);
}

std::shared_ptr<const jose::Jwks> SigningKeyRotator::PublishedKeys() const {
  std::shared_ptr<const SigningKeySnapshot> snapshot = Current();
  return std::shared_ptr<const jose::Jwks>(snapshot, &snapshot->keys.published);
}

Status SigningKeyRotator::Publish(const store::KeyRing& ring, SystemTime now) {
  SIGNET_ASSIGN_OR_RETURN(store::SigningKeys keys, ring.At(now, options_.algorithm));
  std::vector<store::SigningKeyRow> rows = ring.rows();
  for (store::SigningKeyRow& row : rows) {
    row.sealed_private_key.clear();
  }
  next_change_ = ring.NextChange(now, options_.algorithm, settings_);
  auto snapshot = std::make_shared<SigningKeySnapshot>(
      SigningKeySnapshot{std::move(keys), std::move(rows), now, next_change_});
  next_maintenance_ = now + options_.check_every;
  snapshot_.store(std::move(snapshot), std::memory_order_release);
  return Status::Ok();
}

SystemTime SigningKeyRotator::NextTick() const {
  std::lock_guard lock(mu_);
  return NextTickLocked();
}

SystemTime SigningKeyRotator::NextTickLocked() const {
  SystemTime next = next_maintenance_;
  if (next_change_) {
    // A change "due now" that the last run could not make waits a little: no spinning.
    next = std::min(next, std::max(*next_change_, last_run_ + kMinTickInterval));
  }
  return next;
}

Status SigningKeyRotator::Tick() {
  std::lock_guard lock(mu_);
  if (clock_.Now() < NextTickLocked()) {
    return Status::Ok();
  }
  auto ring = store::MaintainSigningKeys(store_, master_key_, options_.algorithm, random_, clock_,
                                         settings_);
  // Read after maintenance: a key it created just now is active at this time.
  SystemTime now = clock_.Now();
  last_run_ = now;
  Status published = ring.ok() ? Publish(*ring, now) : ring.status();
  if (!published.ok()) {
    // Keep serving the snapshot in force and try again check_every later, not at once.
    next_change_.reset();
    next_maintenance_ = now + options_.check_every;
  }
  return published;
}

Result<store::SigningKeyRow> SigningKeyRotator::RotateNow() {
  std::string_view alg = jose::AlgorithmName(options_.algorithm);
  store::SigningKeyRow created;
  {
    std::lock_guard lock(mu_);
    SIGNET_ASSIGN_OR_RETURN(store::KeyRing ring,
                            store::RotateSigningKeyNow(store_, master_key_, options_.algorithm,
                                                       random_, clock_, settings_));
    SystemTime now = clock_.Now();
    last_run_ = now;
    SIGNET_RETURN_IF_ERROR(Publish(ring, now));
    // The new key: pending, or (when none signed before) the signer itself.
    int64_t t = ToUnixSecondsFloor(now);
    std::optional<size_t> index = store::PendingAt(ring.rows(), alg, t);
    if (!index) {
      index = store::SignerAt(ring.rows(), alg, t);
    }
    if (!index) {
      return Status(ErrorCode::kServerError, "signing_key_missing",
                    "the rotation stored no key of " + std::string(alg));
    }
    created = ring.rows()[*index];
    created.sealed_private_key.clear();
  }
  loop_.Wake();  // the background thread re-plans around the new key's activation
  return created;
}

void SigningKeyRotator::RaiseMaxTokenLifetime(std::chrono::seconds lifetime) {
  {
    std::lock_guard lock(mu_);
    if (lifetime <= settings_.max_token_lifetime) {
      return;
    }
    settings_.max_token_lifetime = lifetime;
    // Keys retiring now are re-scheduled at the next Tick, which is due at once.
    next_maintenance_ = clock_.Now();
    next_change_.reset();
  }
  loop_.Wake();
}

void SigningKeyRotator::Start() {
  loop_.Start([this] {
    if (Status s = Tick(); !s.ok() && options_.on_error) {
      options_.on_error(s);
    }
    // As long as the injected clock says is left, never longer than check_every, so a
    // step of the wall clock is caught up soon.
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(NextTick() - clock_.Now());
    return std::clamp<std::chrono::milliseconds>(left, std::chrono::milliseconds(0),
                                                 options_.check_every);
  });
}

void SigningKeyRotator::Stop() { loop_.Stop(); }

}  // namespace signet::server
