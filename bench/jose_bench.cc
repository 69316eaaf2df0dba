// Signet's JOSE signature paths beside the raw OpenSSL 3 EVP calls a careful engineer
// would write, per algorithm, in one process run. Absolute times depend on the machine
// and on whoever else shares it; the ratio Signet/raw measured in the same run is what
// docs/benchmarks.md records (bench/run_jose_bench.sh computes it).
//
// Every fixture is checked before any timing (the process aborts otherwise), and every
// timed call is checked again, so no benchmark can measure a failing fast path.

#include <benchmark/benchmark.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>

#include <array>
#include <boost/json/object.hpp>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/base64url.h"
#include "common/clock.h"
#include "jose/algorithm.h"
#include "jose/jwk.h"
#include "jose/jwt.h"
#include "jose/signature.h"
#include "jose/signing_key.h"

namespace signet::jose {
namespace {

constexpr int64_t kNow = 1'700'000'000;
constexpr std::string_view kIssuer = "https://issuer.example.com";

[[noreturn]] void Die(std::string_view what, std::string_view alg, std::string_view detail = "") {
  std::fprintf(stderr, "jose_bench: %.*s failed for %.*s %.*s\n", static_cast<int>(what.size()),
               what.data(), static_cast<int>(alg.size()), alg.data(),
               static_cast<int>(detail.size()), detail.data());
  std::abort();
}

template <typename T>
T Must(Result<T> r, std::string_view what, std::string_view alg) {
  if (!r.ok()) {
    Die(what, alg, r.status().ToString());
  }
  return std::move(r).value();
}

// The raw baseline uses the same once-fetched digests as Signet (jose::DigestFor): on
// this OpenSSL 3.0 they were never slower than EVP_sha256()-style implicit fetches, so
// this is the fairest, fastest baseline.

bool RawConfigurePss(EVP_PKEY_CTX* pctx, Algorithm alg) {
  return EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) == 1 &&
         EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, signet::jose::DigestFor(alg)) == 1 &&
         EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) == 1;
}

// JOSE r||s to DER, once per fixture, so the raw baseline gets the encoding OpenSSL
// wants without paying for the conversion that Signet must do per token.
std::string RawToDer(std::string_view raw, std::string_view alg) {
  const size_t n = raw.size() / 2;
  const auto* p = reinterpret_cast<const uint8_t*>(raw.data());
  ECDSA_SIG* sig = ECDSA_SIG_new();
  BIGNUM* r = BN_bin2bn(p, static_cast<int>(n), nullptr);
  BIGNUM* s = BN_bin2bn(p + n, static_cast<int>(n), nullptr);
  if (sig == nullptr || r == nullptr || s == nullptr || ECDSA_SIG_set0(sig, r, s) != 1) {
    Die("DER conversion", alg);
  }
  uint8_t* der = nullptr;
  int len = i2d_ECDSA_SIG(sig, &der);
  ECDSA_SIG_free(sig);
  if (len <= 0) {
    Die("DER conversion", alg);
  }
  std::string out(reinterpret_cast<char*>(der), static_cast<size_t>(len));
  OPENSSL_free(der);
  return out;
}

// The raw verify the baseline times: one context per call, as a server verifying
// independent tokens does.
int RawVerify(Algorithm alg, EVP_PKEY* pkey, std::string_view data, std::string_view sig) {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  EVP_PKEY_CTX* pctx = nullptr;
  int rc = 0;
  if (ctx != nullptr &&
      EVP_DigestVerifyInit(ctx, &pctx, signet::jose::DigestFor(alg), nullptr, pkey) == 1 &&
      (!signet::jose::IsRsaPss(alg) || RawConfigurePss(pctx, alg))) {
    rc = EVP_DigestVerify(ctx, reinterpret_cast<const uint8_t*>(sig.data()), sig.size(),
                          reinterpret_cast<const uint8_t*>(data.data()), data.size());
  }
  EVP_MD_CTX_free(ctx);
  return rc;
}

// The raw sign the baseline times: the output buffer is sized once from the key
// (EVP_PKEY_get_size), so the loop makes a single EVP_DigestSign call.
size_t RawSign(Algorithm alg, EVP_PKEY* pkey, std::string_view data, std::vector<uint8_t>& out) {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  EVP_PKEY_CTX* pctx = nullptr;
  size_t len = out.size();
  bool ok = ctx != nullptr &&
            EVP_DigestSignInit(ctx, &pctx, signet::jose::DigestFor(alg), nullptr, pkey) == 1 &&
            (!signet::jose::IsRsaPss(alg) || RawConfigurePss(pctx, alg)) &&
            EVP_DigestSign(ctx, out.data(), &len, reinterpret_cast<const uint8_t*>(data.data()),
                           data.size()) == 1;
  EVP_MD_CTX_free(ctx);
  return ok ? len : 0;
}

// ~10 claims, as an access token or workload token carries them.
boost::json::object RealisticClaims() {
  return {{"iss", kIssuer},
          {"sub", "spiffe://prod.example.com/ns/payments/sa/ledger-writer"},
          {"aud", boost::json::array{"https://signet.example.com", "https://api.example.com"}},
          {"iat", kNow - 30},
          {"nbf", kNow - 30},
          {"exp", kNow + 270},
          {"jti", "6f1c2a8e-4b7d-4e0a-9d51-3c2b9f7a1e44"},
          {"client_id", "ledger-writer"},
          {"scope", "ledger.read ledger.write"},
          {"azp", "ledger-writer"},
          {"tenant", "acme-prod"}};
}

struct Fixture {
  Algorithm alg;
  std::string name;
  SigningKey key;
  Jwks jwks;          // 3 keys, parsed from JSON as an issuer's JWKS is
  const Jwk* jwk;     // the verification key inside `jwks`
  std::string token;  // a realistic JWT signed by `key`
  std::string_view signing_input;
  std::string jose_sig;  // JOSE encoding (r||s for ECDSA)
  std::string raw_sig;   // what EVP verifies (DER for ECDSA)
  boost::json::object claims;
  JwtVerifier verifier;
};

std::unique_ptr<Fixture> MakeFixture(Algorithm alg) {
  const std::string name(AlgorithmName(alg));
  SigningKey key = Must(SigningKey::GenerateForTesting(alg, "signet-2026-11"), "keygen", name);
  // Two rotated-out keys of the same algorithm before the live one, so key selection
  // walks the whole set.
  std::vector<Jwk> keys;
  for (const char* kid : {"signet-2026-09", "signet-2026-10"}) {
    keys.push_back(Must(SigningKey::GenerateForTesting(alg, kid), "keygen", name).public_jwk());
  }
  keys.push_back(key.public_jwk());
  Jwks jwks = Must(Jwks::Parse(Jwks(std::move(keys)).ToJson()), "Jwks::Parse", name);

  boost::json::object claims = RealisticClaims();
  std::string token = Must(SignJwt(key, claims), "SignJwt", name);
  const size_t last_dot = token.rfind('.');
  std::string jose_sig = Must(Base64UrlDecode(token.substr(last_dot + 1)), "base64url", name);
  std::string raw_sig = RequiredKeyType(alg) == KeyType::kEc ? RawToDer(jose_sig, name) : jose_sig;

  JwtValidator validator = Must(JwtValidator::Builder()
                                    .ExpectIssuer(std::string(kIssuer))
                                    .ExpectAudience("https://signet.example.com")
                                    .AllowAlgorithms({alg})
                                    .Build(),
                                "JwtValidator", name);
  auto f = std::unique_ptr<Fixture>(new Fixture{
      .alg = alg,
      .name = name,
      .key = std::move(key),
      .jwks = std::move(jwks),
      .jwk = nullptr,
      .token = std::move(token),
      .signing_input = {},
      .jose_sig = std::move(jose_sig),
      .raw_sig = std::move(raw_sig),
      .claims = std::move(claims),
      .verifier = JwtVerifier(std::move(validator)),
  });
  f->jwk = Must(f->jwks.Select(std::string("signet-2026-11"), alg), "Jwks::Select", name);
  f->signing_input = std::string_view(f->token).substr(0, last_dot);

  // Every operation the benchmarks time must succeed here, or nothing is measured.
  if (RawVerify(alg, f->jwk->pkey(), f->signing_input, f->raw_sig) != 1) {
    Die("raw EVP verify", name);
  }
  if (Status s = VerifySignature(alg, *f->jwk, f->signing_input, f->jose_sig); !s.ok()) {
    Die("VerifySignature", name, s.ToString());
  }
  Must(f->verifier.Verify(f->token, f->jwks, FromUnixSeconds(kNow)), "JwtVerifier::Verify", name);
  // A tampered signature must fail, so the success above is not vacuous.
  std::string bad = f->jose_sig;
  bad[bad.size() / 2] ^= 1;
  if (VerifySignature(alg, *f->jwk, f->signing_input, bad).ok()) {
    Die("tampered-signature rejection", name);
  }
  std::vector<uint8_t> buf(static_cast<size_t>(EVP_PKEY_get_size(f->key.pkey())));
  size_t len = RawSign(alg, f->key.pkey(), f->signing_input, buf);
  if (len == 0) {
    Die("raw EVP sign", name);
  }
  std::string raw_signed(reinterpret_cast<char*>(buf.data()), len);
  std::string signet_signed = Must(f->key.Sign(f->signing_input), "SigningKey::Sign", name);
  if (RawVerify(alg, f->jwk->pkey(), f->signing_input, raw_signed) != 1 ||
      !VerifySignature(alg, *f->jwk, f->signing_input, signet_signed).ok()) {
    Die("sign round trip", name);
  }
  return f;
}

Fixture& Get(Algorithm alg) {
  static std::array<std::unique_ptr<Fixture>, kAllAlgorithms.size()> fixtures;
  auto& slot = fixtures[static_cast<size_t>(alg)];
  if (!slot) {
    slot = MakeFixture(alg);
  }
  return *slot;
}

void BM_RawEvpVerify(benchmark::State& state, Algorithm alg) {
  Fixture& f = Get(alg);
  for (auto _ : state) {
    if (RawVerify(alg, f.jwk->pkey(), f.signing_input, f.raw_sig) != 1) {
      Die("raw EVP verify", f.name);
    }
  }
}

void BM_SignetVerifySignature(benchmark::State& state, Algorithm alg) {
  Fixture& f = Get(alg);
  for (auto _ : state) {
    Status s = VerifySignature(alg, *f.jwk, f.signing_input, f.jose_sig);
    if (!s.ok()) {
      Die("VerifySignature", f.name, s.ToString());
    }
  }
}

void BM_SignetVerifyJwt(benchmark::State& state, Algorithm alg) {
  Fixture& f = Get(alg);
  const SystemTime now = FromUnixSeconds(kNow);
  for (auto _ : state) {
    Result<VerifiedJwt> jwt = f.verifier.Verify(f.token, f.jwks, now);
    if (!jwt.ok()) {
      Die("JwtVerifier::Verify", f.name, jwt.status().ToString());
    }
    benchmark::DoNotOptimize(jwt);
  }
}

void BM_RawEvpSign(benchmark::State& state, Algorithm alg) {
  Fixture& f = Get(alg);
  std::vector<uint8_t> buf(static_cast<size_t>(EVP_PKEY_get_size(f.key.pkey())));
  for (auto _ : state) {
    if (RawSign(alg, f.key.pkey(), f.signing_input, buf) == 0) {
      Die("raw EVP sign", f.name);
    }
    benchmark::DoNotOptimize(buf.data());
  }
}

void BM_SignetSign(benchmark::State& state, Algorithm alg) {
  Fixture& f = Get(alg);
  for (auto _ : state) {
    Result<std::string> sig = f.key.Sign(f.signing_input);
    if (!sig.ok()) {
      Die("SigningKey::Sign", f.name, sig.status().ToString());
    }
    benchmark::DoNotOptimize(sig);
  }
}

void BM_SignetSignJwt(benchmark::State& state, Algorithm alg) {
  Fixture& f = Get(alg);
  for (auto _ : state) {
    Result<std::string> token = SignJwt(f.key, f.claims);
    if (!token.ok()) {
      Die("SignJwt", f.name, token.status().ToString());
    }
    benchmark::DoNotOptimize(token);
  }
}

void Register(const char* family, void (*fn)(benchmark::State&, Algorithm), Algorithm alg) {
  std::string name = std::string(family) + "/" + std::string(AlgorithmName(alg));
  benchmark::RegisterBenchmark(name.c_str(), fn, alg)->Unit(benchmark::kMicrosecond);
}

}  // namespace
}  // namespace signet::jose

int main(int argc, char** argv) {
  using namespace signet::jose;
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) {
    return 1;
  }
  // Raw and Signet side by side per algorithm, so slow drifts in machine load hit both.
  for (Algorithm alg : kAllAlgorithms) {
    Register("BM_RawEvpVerify", BM_RawEvpVerify, alg);
    Register("BM_SignetVerifySignature", BM_SignetVerifySignature, alg);
    Register("BM_SignetVerifyJwt", BM_SignetVerifyJwt, alg);
  }
  // The algorithms Signet signs with (SigningKey::Generate).
  for (Algorithm alg : {Algorithm::kES256, Algorithm::kEdDSA, Algorithm::kRS256}) {
    Register("BM_RawEvpSign", BM_RawEvpSign, alg);
    Register("BM_SignetSign", BM_SignetSign, alg);
    Register("BM_SignetSignJwt", BM_SignetSignJwt, alg);
  }
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
