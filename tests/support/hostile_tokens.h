// Hostile JWTs made by hand, for the STANDARDS.md §17 negative suite (in-process, against
// the JOSE layer) and for hostile_exchange_test (the same tokens as subject tokens at a
// real signetd). Headers and claims are raw JSON text signed for real with
// SignCompactJws, so a test can put duplicates, odd types and odd encodings exactly
// where it wants and the check under test is the one that fires.
#pragma once

#include <openssl/evp.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "jose/signing_key.h"

namespace signet::testing {

std::string Num(int64_t v);

// ---------------------------------------------------------------------------------------
// Raw JSON builders.

// Each member holds raw JSON; an empty member is left out of the object.
struct Claims {
  std::string iss;
  std::string sub;
  std::string aud;
  std::string iat;
  std::string nbf;
  std::string exp;
  std::string extra;  // raw members appended verbatim: R"("jti":"x")"

  // Claims any validator for `iss`/`aud` accepts at `now`: iat = now - 10,
  // exp = now + 300, no nbf.
  static Claims Good(std::string_view iss, std::string_view sub, std::string_view aud, int64_t now);

  std::string Json() const;
};

// {"alg":<alg>,"kid":<kid>,<extra>}; an empty kid is left out.
std::string Header(std::string_view alg, std::string_view kid, std::string_view extra = "");
// Header(key's alg, key's kid, extra).
std::string HeaderFor(const jose::SigningKey& key, std::string_view extra = "");

// A compact JWS of `header` and `payload` (JSON text, encoded here), signed by `key`.
std::string Sign(const jose::SigningKey& key, std::string_view header, std::string_view payload);
// Signs the already-encoded `header_b64.payload_b64` as given, for tokens whose
// encoding itself is under test.
std::string SignEncoded(const jose::SigningKey& key, const std::string& header_b64,
                        const std::string& payload_b64);

// The segments of a token, split at every dot.
std::vector<std::string> Split(std::string_view token);
std::string Join(const std::string& h, const std::string& p, const std::string& s);
// The third segment, decoded.
std::string DecodedSignature(std::string_view token);
// `token` with its signature replaced by `signature` (raw bytes, encoded here).
std::string WithSignature(std::string_view token, std::string_view signature);

// Sets the lowest bit of the last base64url character, which is one of the unused
// trailing bits when the length is 2 or 3 mod 4: a lax decoder yields the very same
// bytes, so only the canonical-form check can tell the two spellings apart.
std::string WithTrailingBits(std::string b64);
// JSON whose encoding has trailing bits (length not a multiple of 3); the appended
// space is insignificant JSON whitespace.
std::string UnalignedJson(std::string json);
// ASCII text as UTF-16 (no byte order mark).
std::string Utf16(std::string_view ascii, bool big_endian);

// ---------------------------------------------------------------------------------------
// OpenSSL helpers for the attacker's side: key encodings, HMAC, DER, certificates.

struct PkeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};

std::string PublicKeyPem(EVP_PKEY* pkey);
std::string PublicKeyDer(EVP_PKEY* pkey);
// A BIGNUM parameter (OSSL_PKEY_PARAM_*) as minimal big-endian bytes.
std::string BnParamBytes(EVP_PKEY* pkey, const char* name);
// The encoded (uncompressed) EC public point.
std::string EcPointBytes(EVP_PKEY* pkey);
std::string Ed25519RawPublic(EVP_PKEY* pkey);
std::string Hmac(const EVP_MD* md, std::string_view key, std::string_view data);

// The HS/RS confusion token (CVE-2015-9235): `alg` HSxxx, MAC keyed with public key
// bytes the verifier holds, kid naming the victim key so a confused verifier finds it.
std::string HmacToken(std::string_view alg, const EVP_MD* md, std::string_view kid,
                      std::string_view secret, std::string_view claims_json);

// ASN.1 DER ECDSA-Sig-Value of a raw r||s signature: what a non-JOSE library emits.
std::string RawToDer(std::string_view raw);
// The order n of P-256 (SEC 2 v2 §2.4.2 / FIPS 186-4 D.1.2.3), big-endian.
std::string P256Order();
// n - s, as a 32-byte big-endian string.
std::string P256Negate(std::string_view s);
// A self-signed certificate for `pkey`, DER: the attacker's own "chain" for x5c.
std::string SelfSignedCertDer(EVP_PKEY* pkey);
// Standard base64 with padding, as x5c uses (RFC 7515 §4.1.6).
std::string StdBase64(std::string_view bytes);

// A 1024-bit RSA key made with OpenSSL directly (SigningKey refuses to make one) and its
// public JWK ("alg":"RS256"), as an issuer that should not publish it would.
struct WeakRsa {
  std::unique_ptr<EVP_PKEY, PkeyFree> pkey;
  std::string jwk_json;
};
WeakRsa MakeWeakRsa(std::string_view kid);

// ---------------------------------------------------------------------------------------

// A listening TCP socket on 127.0.0.1, port chosen by the kernel. It only listens: a
// test puts its URL where a token can name a URL and never connects to it itself. A
// verifier that followed such a URL leaves a completed connection in the accept queue
// (loopback connects complete in the kernel, whether or not anyone accepts), which
// AcceptPending() finds with a zero-timeout poll.
class LoopbackListener {
 public:
  LoopbackListener();
  ~LoopbackListener();
  LoopbackListener(const LoopbackListener&) = delete;
  LoopbackListener& operator=(const LoopbackListener&) = delete;

  bool ok() const { return fd_ >= 0 && port_ != 0; }
  uint16_t port() const { return port_; }
  std::string Url(std::string_view path) const;

  // Accepts and counts every connection already queued, without blocking.
  int AcceptPending();

 private:
  void Close();
  int fd_ = -1;
  uint16_t port_ = 0;
};

// ---------------------------------------------------------------------------------------
// The catalogue: every hostile token of §17 that can be presented as a subject token.

struct HostileTokenSetting {
  std::string issuer;    // the configured issuer's exact `iss`
  std::string subject;   // the `sub` of the good token
  std::string audience;  // the configured audience
  int64_t now = 0;       // Unix seconds the tokens are made around
  int64_t leeway = 0;    // the issuer's leeway, seconds
  int64_t max_lifetime = 0;
  // The issuer's keys: published and allowed ...
  const jose::SigningKey* es256 = nullptr;         // kid es-1
  const jose::SigningKey* es256_second = nullptr;  // another ES256 key, so no kid is ambiguous
  const jose::SigningKey* rs256 = nullptr;
  const jose::SigningKey* eddsa = nullptr;
  // ... published, but its algorithm is outside the allowlist (AllowedAlgorithms()).
  const jose::SigningKey* es384 = nullptr;
  // Never published: the attacker's own ES256 key.
  const jose::SigningKey* attacker = nullptr;
  // Base URL of a listener that must see no connection ("http://127.0.0.1:<port>"): put in
  // every place a token can name a URL (jku, x5u, a jwk's x5u, kid, iss, aud).
  std::string canary_url;
};

struct HostileToken {
  std::string name;    // unique, e.g. "item24_jku_canary"
  int item = 0;        // STANDARDS.md §17 item
  std::string token;   // the subject token, byte for byte
  std::string reason;  // why a JwtVerifier with the issuer's rules refuses it
};

struct HostileTokenSet {
  // The issuer's JWKS: the setting's published keys plus the keys a careful issuer would
  // not publish, each named by a token (items 19, 20, 29, 44): a 1024-bit RSA key,
  // points off the curve or with short coordinates, use "enc", key_ops without "verify",
  // use/key_ops in conflict, private members, a symmetric key.
  std::string jwks_json;
  // The allowlist the tokens assume, as a YAML flow list: "[ES256, RS256, EdDSA]".
  std::string algorithms;
  // Accepted under those rules (the positive control), once plain and once carrying the
  // canary URL in claims a verifier has no business fetching.
  std::string good_token;
  std::string good_token_with_url_claims;
  std::vector<HostileToken> tokens;
};

// Deterministic apart from the keys' randomness; every token stays under 60,000 bytes
// so that it fits a token endpoint's request limit (larger ones are refused by size
// before any token check, see the negative suite's Item09).
HostileTokenSet MakeHostileTokens(const HostileTokenSetting& setting);

}  // namespace signet::testing
