// Random: the only door to randomness.
//
// Code that needs random bytes (token ids, jti, request ids) takes a `Random&`.
// Random::Secure() draws from OpenSSL's CSPRNG; SeededRandom is a deterministic
// generator for tests, so issued tokens can be compared byte for byte.
// Key generation uses OpenSSL's DRBG directly (it must not depend on a test seed).
//
// Thread safety: Secure() may be used concurrently; a SeededRandom may not.
#pragma once

#include <cstdint>
#include <span>
#include <string>

namespace signet {

class Random {
 public:
  virtual ~Random() = default;
  // Fills `out` with random bytes. Aborts the process if the CSPRNG fails: issuing a
  // token with a predictable id is worse than not issuing one.
  virtual void Fill(std::span<uint8_t> out) = 0;

  // `n_bytes` random bytes, base64url-encoded (a jti or an opaque id).
  std::string Base64UrlId(size_t n_bytes = 16);

  static Random& Secure();
};

// Deterministic, NOT cryptographic (SplitMix64). Tests only.
class SeededRandom final : public Random {
 public:
  explicit SeededRandom(uint64_t seed) : state_(seed) {}
  void Fill(std::span<uint8_t> out) override;

 private:
  uint64_t state_;
};

}  // namespace signet
