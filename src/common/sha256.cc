#include "common/sha256.h"

#include <openssl/evp.h>

#include <cstdlib>
#include <span>

#include "common/base64url.h"

namespace signet {

std::string Sha256Hex(std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  if (EVP_Digest(data.data(), data.size(), digest, &size, EVP_sha256(), nullptr) != 1) {
    std::abort();
  }
  return HexEncode(std::span<const uint8_t>(digest, size));
}

}  // namespace signet
