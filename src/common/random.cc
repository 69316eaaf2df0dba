#include "common/random.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <array>
#include <cstring>

#include <cstdio>
#include <cstdlib>
#include <vector>

#include "common/base64url.h"

namespace signet {
namespace {

void RandBytesOrAbort(std::span<uint8_t> out) {
  if (RAND_bytes(out.data(), static_cast<int>(out.size())) != 1) {
    std::fputs("signet: OpenSSL RAND_bytes failed; refusing to continue\n", stderr);
    std::abort();
  }
}

class OpenSslRandom final : public Random {
 public:
  // Each RAND_bytes call takes the DRBG's lock, checks for a fork and reseeding, and
  // costs about as much as generating a few hundred bytes; a request mints two ids. So
  // small requests are served from a per-thread buffer of DRBG output, refilled in one
  // call. Bytes handed out are wiped from the buffer: none is ever given twice or left
  // behind. (signetd never forks, so a buffer cannot be duplicated into a child.)
  void Fill(std::span<uint8_t> out) override {
    if (out.size() > kMaxBuffered) {
      RandBytesOrAbort(out);
      return;
    }
    thread_local Buffer buffer;
    if (buffer.available < out.size()) {
      RandBytesOrAbort(buffer.bytes);
      buffer.available = buffer.bytes.size();
    }
    uint8_t* from = buffer.bytes.data() + buffer.bytes.size() - buffer.available;
    std::memcpy(out.data(), from, out.size());
    OPENSSL_cleanse(from, out.size());
    buffer.available -= out.size();
  }

 private:
  static constexpr size_t kMaxBuffered = 64;
  struct Buffer {
    std::array<uint8_t, 512> bytes{};
    size_t available = 0;
    ~Buffer() { OPENSSL_cleanse(bytes.data(), bytes.size()); }
  };
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
