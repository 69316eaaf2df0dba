// Small RAII and error helpers for OpenSSL 3, private to src/jose.
#pragma once

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>

#include <memory>
#include <string>

namespace signet::jose::internal {

struct BnFree {
  void operator()(BIGNUM* bn) const { BN_free(bn); }
};
struct PkeyCtxFree {
  void operator()(EVP_PKEY_CTX* ctx) const { EVP_PKEY_CTX_free(ctx); }
};
struct MdCtxFree {
  void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
};
using BnPtr = std::unique_ptr<BIGNUM, BnFree>;
using PkeyCtxPtr = std::unique_ptr<EVP_PKEY_CTX, PkeyCtxFree>;
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, MdCtxFree>;

inline std::shared_ptr<EVP_PKEY> SharePkey(EVP_PKEY* pkey) {
  return std::shared_ptr<EVP_PKEY>(pkey, EVP_PKEY_free);
}

// The oldest queued OpenSSL error as text, and clears the queue so that errors from one
// operation never leak into the next on this thread.
inline std::string TakeOpenSslError() {
  unsigned long code = ERR_get_error();
  std::string text =
      code ? ERR_reason_error_string(code) ? ERR_reason_error_string(code) : "unknown OpenSSL error"
           : "no OpenSSL error queued";
  ERR_clear_error();
  return text;
}

}  // namespace signet::jose::internal
