#include "common/aead.h"

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>

#include <climits>
#include <cstdint>
#include <memory>

namespace signet {
namespace {

struct CipherCtxFree {
  void operator()(EVP_CIPHER_CTX* ctx) const { EVP_CIPHER_CTX_free(ctx); }
};
using CipherCtxPtr = std::unique_ptr<EVP_CIPHER_CTX, CipherCtxFree>;

const unsigned char* Bytes(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

Status CheckKey(const Secret& key) {
  if (key.size() != kAeadKeyBytes) {
    return Status(ErrorCode::kInvalidConfig, "key_invalid",
                  "an AES-256-GCM key must be 32 bytes, got " + std::to_string(key.size()));
  }
  return Status::Ok();
}

Status SealFailed() {
  ERR_clear_error();
  return Status(ErrorCode::kServerError, "aead_failed", "AES-256-GCM encryption failed");
}

Status DecryptFailed(std::string_view why) {
  ERR_clear_error();
  return Status(ErrorCode::kServerError, "decrypt_failed",
                "cannot decrypt stored secret (" + std::string(why) +
                    "): check that the master key is the one this data was sealed with, or the "
                    "data was altered");
}

// OpenSSL takes int lengths; GCM treats a null output buffer as AAD, so empty inputs
// skip the update call instead of passing a null pointer.
bool FitsInt(size_t n) { return n <= static_cast<size_t>(INT_MAX); }

}  // namespace

Result<std::string> AeadSeal(const Secret& key, const Secret& plaintext, std::string_view aad,
                             Random& random) {
  SIGNET_RETURN_IF_ERROR(CheckKey(key));
  SecretAccess access = SecretAccess::Grant();
  std::string_view in = plaintext.Reveal(access);
  if (!FitsInt(in.size()) || !FitsInt(aad.size())) {
    return SealFailed();
  }
  std::string sealed(kAeadNonceBytes + in.size() + kAeadTagBytes, '\0');
  auto* out = reinterpret_cast<unsigned char*>(sealed.data());
  random.Fill(std::span<uint8_t>(out, kAeadNonceBytes));

  CipherCtxPtr ctx(EVP_CIPHER_CTX_new());
  int len = 0;
  if (!ctx || EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, Bytes(key.Reveal(access)),
                                 out) != 1) {
    return SealFailed();
  }
  if (!aad.empty() &&
      EVP_EncryptUpdate(ctx.get(), nullptr, &len, Bytes(aad), static_cast<int>(aad.size())) != 1) {
    return SealFailed();
  }
  unsigned char* ciphertext = out + kAeadNonceBytes;
  if (!in.empty() &&
      EVP_EncryptUpdate(ctx.get(), ciphertext, &len, Bytes(in), static_cast<int>(in.size())) != 1) {
    return SealFailed();
  }
  if (EVP_EncryptFinal_ex(ctx.get(), ciphertext + in.size(), &len) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, kAeadTagBytes, ciphertext + in.size()) !=
          1) {
    return SealFailed();
  }
  return sealed;
}

Result<Secret> AeadOpen(const Secret& key, std::string_view sealed, std::string_view aad) {
  SIGNET_RETURN_IF_ERROR(CheckKey(key));
  if (sealed.size() < kAeadNonceBytes + kAeadTagBytes) {
    return DecryptFailed("sealed data is truncated");
  }
  if (!FitsInt(sealed.size()) || !FitsInt(aad.size())) {
    return DecryptFailed("sealed data is too large");
  }
  std::string_view nonce = sealed.substr(0, kAeadNonceBytes);
  std::string_view ciphertext =
      sealed.substr(kAeadNonceBytes, sealed.size() - kAeadNonceBytes - kAeadTagBytes);
  std::string tag(sealed.substr(sealed.size() - kAeadTagBytes));

  CipherCtxPtr ctx(EVP_CIPHER_CTX_new());
  int len = 0;
  if (!ctx || EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr,
                                 Bytes(key.Reveal(SecretAccess::Grant())), Bytes(nonce)) != 1) {
    return DecryptFailed("cipher setup failed");
  }
  if (!aad.empty() &&
      EVP_DecryptUpdate(ctx.get(), nullptr, &len, Bytes(aad), static_cast<int>(aad.size())) != 1) {
    return DecryptFailed("cipher setup failed");
  }
  std::string plaintext(ciphertext.size(), '\0');
  auto* out = reinterpret_cast<unsigned char*>(plaintext.data());
  bool ok = (ciphertext.empty() || EVP_DecryptUpdate(ctx.get(), out, &len, Bytes(ciphertext),
                                                     static_cast<int>(ciphertext.size())) == 1) &&
            EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, kAeadTagBytes, tag.data()) == 1 &&
            EVP_DecryptFinal_ex(ctx.get(), out + ciphertext.size(), &len) == 1;
  if (!ok) {
    // GCM decrypts before it authenticates: wipe the unauthenticated bytes.
    OPENSSL_cleanse(plaintext.data(), plaintext.size());
    return DecryptFailed("authentication failed");
  }
  return Secret(std::move(plaintext));
}

}  // namespace signet
