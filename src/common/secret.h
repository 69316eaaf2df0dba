// Secret: bytes that must never be printed, logged or compared in variable time.
//
// Modelled on Tink's RestrictedData: there is no operator<<, no formatter and no
// implicit conversion to a string. The only way to read the bytes is Reveal(), which
// requires a SecretAccess token, so `grep -rn SecretAccess src/` lists every place a
// secret value is read. The memory is wiped (OPENSSL_cleanse) when the Secret dies.
// Equality is constant time.
//
// Thread safety: a const Secret may be read concurrently.
#pragma once

#include <ostream>
#include <string>
#include <string_view>

namespace signet {

// A capability to read secret bytes. Obtain it with SecretAccess::Grant() only where a
// secret is legitimately used (signing, sending to a destination).
class SecretAccess {
 public:
  static SecretAccess Grant() { return SecretAccess(); }

 private:
  SecretAccess() = default;
};

class Secret {
 public:
  Secret() = default;
  explicit Secret(std::string bytes) : bytes_(std::move(bytes)) {}
  Secret(const Secret&) = default;
  Secret& operator=(const Secret& other);
  Secret(Secret&& other) noexcept;
  Secret& operator=(Secret&& other) noexcept;
  ~Secret();

  size_t size() const { return bytes_.size(); }
  bool empty() const { return bytes_.empty(); }
  std::string_view Reveal(SecretAccess) const { return bytes_; }

  // Constant-time comparison (CRYPTO_memcmp); sizes are not secret.
  bool Equals(const Secret& other) const;

  // What any printout of a secret shows.
  static constexpr std::string_view kRedacted = "[REDACTED]";

  friend std::ostream& operator<<(std::ostream&, const Secret&) = delete;

 private:
  void Wipe();
  std::string bytes_;
};

}  // namespace signet
