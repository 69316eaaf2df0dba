#include "common/random.h"

#include <openssl/rand.h>

#include <cstdio>
#include <cstdlib>
#include <vector>

#include "common/base64url.h"

namespace signet {
namespace {

class OpenSslRandom final : public Random {
 public:
  void Fill(std::span<uint8_t> out) override {
    if (out.empty()) {
      return;
    }
    if (RAND_bytes(out.data(), static_cast<int>(out.size())) != 1) {
      std::fputs("signet: OpenSSL RAND_bytes failed; refusing to continue\n", stderr);
      std::abort();
    }
  }
};

}  // namespace

std::string Random::Base64UrlId(size_t n_bytes) {
  std::vector<uint8_t> bytes(n_bytes);
  Fill(bytes);
  return Base64UrlEncode(bytes);
}

Random& Random::Secure() {
  static OpenSslRandom random;
  return random;
}

void SeededRandom::Fill(std::span<uint8_t> out) {
  for (uint8_t& byte : out) {
    state_ += 0x9e3779b97f4a7c15ULL;
    uint64_t z = state_;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    byte = static_cast<uint8_t>(z ^ (z >> 31));
  }
}

}  // namespace signet
