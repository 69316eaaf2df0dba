// Fuzzes the token path: jose::ParseCompactJws, JwsVerifier::Verify and
// JwtVerifier::Verify, against a fixed key set and a fixed time so that every run is
// reproducible. The seed corpus holds tokens signed by the keys below (their private
// halves were discarded after signing), so mutations start from tokens that reach the
// signature and claims checks rather than stopping at the parser.
//
// Beyond "no crash, no sanitizer report" the verifiers must agree with each other: a
// verified JWS parses, with the same header and payload; a verified JWT is a verified
// JWS; and nothing verifies against an empty key set. Any violation aborts.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>
#include <utility>
#include <vector>

#include "common/clock.h"
#include "jose/algorithm.h"
#include "jose/jwk.h"
#include "jose/jws.h"
#include "jose/jwt.h"

namespace {

using signet::jose::Algorithm;
using signet::jose::Jwks;
using signet::jose::JwsVerifier;
using signet::jose::JwtValidator;
using signet::jose::JwtVerifier;

// Tokens are capped at 16 KiB (64 KiB at most per issuer); longer inputs only test the
// size check.
constexpr size_t kMaxInput = 64 * 1024;

// The seeds' JWTs were issued at kNow - 10 and expire at kNow + 300.
constexpr int64_t kNow = 1'700'000'000;

// The public keys that signed the seed corpus, one per key type and curve. rsa-2048 has no
// `alg`, so it verifies every RS* and PS* token; ec-p256-enc is for encryption only and
// rsa-1024 is refused at load, so a token naming them reaches those refusals.
constexpr std::string_view kJwks = R"json({"keys":[
{"kty":"RSA","kid":"rsa-2048","use":"sig","n":"vgh5i635OwdpjbgpcU3MoGcyAIQBJZ8M8Cae3yH_xny2uy56EJdpm8lrSOpvzvbka4Tu1-ANKQ9woclKjiyQeVfbiclt8nxUFJAh0ZcvX2VvC_Hml9PWK2Eg1L-1SWc0hMJrssGPEXE4YpT8fm6YzYSbm6Pk5G18OCKg6TrWQkSQCz2qii4JQ-8BHMucffyiZyKt5sSD8zPJeJSNg9Qo9Cr9ItIkg0CPFdZG4JXKM_9KUDL4wYG5k_BkxSG2W8ylMMyDSymgpGDxiQvMWgLi3Wro0fdSCHhZVSb0Q5Mi8EenRySVhCvjk0HR95cNTJWLyjnbj9Io4CgekPt_-IkgMQ","e":"AQAB"},
{"kty":"EC","crv":"P-256","kid":"ec-p256","alg":"ES256","use":"sig","x":"eysJ9q8E4sS9cMdv-M6opUIVmZhbEeWrHprLt6QPUks","y":"kpvt7BQ3TBUFGFm4r-6xyAaHQ09-H9yqxZvMDk9UFBI"},
{"kty":"EC","crv":"P-256","kid":"ec-p256-enc","use":"enc","x":"_KaNDTYHB-VHpd256sMAB8Kyy94BqZ5Xjvm4UizBa1s","y":"9LKa444Sd_e_ups_3T6ppPl8aNINPGqI3Nzg_i_txxQ"},
{"kty":"EC","crv":"P-384","kid":"ec-p384","alg":"ES384","x":"qqrocKWGyYi01xYo13mNNn3A6pajYlNKUcCtKjnh0Mc_jRLZFCopl4DxOhg_GpGD","y":"UO2Oc8i4lpl5-5JrRmVsG8eFi9zEPYfxzovhonwxC6E2dfN1LSnAMqE5K5UjzAJ5"},
{"kty":"EC","crv":"P-521","kid":"ec-p521","alg":"ES512","x":"ASSns4CMh3XjFq6pfKTv_Er5bEGkYvhE_1isWqqjJXAGQoHEYjuuWOvAcbJUC5hnBg9vVpFusIowXd7zqhD6frlR","y":"AcVjJE0ki5milfsLUlhfo9G2iqHvst8Qd-h-YsWzjirWp8w1AZo9yX6Dpc4bCYg14wvc5zFWPfOFZJR-NtF_a7rm"},
{"kty":"OKP","crv":"Ed25519","kid":"ed25519","alg":"EdDSA","x":"c_ePRhJI1ZdWZJB2WKNQPxM7FK-yewvt0uvMZ1bq45g"},
{"kty":"RSA","kid":"rsa-1024","n":"uBY90tRYFg-y4RVDL7T7Gn6sWUM8sD4pmQW-g78sq-Kno9BfqcAhaPDSevZnNrJYhX30mP_X3yDHBMweX-XgP_orfoYa0ih_YQiIFMzHN0hxuL4rWkTdSw3gyiwIu5egwBCVc_I6HgYOLndRtosQLtM9AUQnqi-bpA5RfqfEOmE","e":"AQAB"}
]})json";

[[noreturn]] void Fail(const char* what) {
  std::fprintf(stderr, "jws_fuzz: property violated: %s\n", what);
  std::abort();
}

struct Fixture {
  Jwks keys;
  Jwks no_keys;
  JwsVerifier jws;
  // Signet's defaults, and a strict issuer that uses every optional check.
  JwtVerifier jwt;
  JwtVerifier strict_jwt;
};

const Fixture& GetFixture() {
  // Built once: parsing RSA keys on every input would dominate the run time.
  static const Fixture* fixture = [] {
    const std::vector<Algorithm> all(signet::jose::kAllAlgorithms.begin(),
                                     signet::jose::kAllAlgorithms.end());
    signet::Result<Jwks> keys = Jwks::Parse(kJwks);
    signet::Result<JwsVerifier> jws = JwsVerifier::Create(all);
    signet::Result<JwtValidator> defaults = JwtValidator::Builder()
                                                .ExpectIssuer("https://issuer.example")
                                                .ExpectAudience("signet")
                                                .AllowAlgorithms(all)
                                                .Build();
    signet::Result<JwtValidator> strict = JwtValidator::Builder()
                                              .ExpectIssuer("https://issuer.example")
                                              .ExpectAudience("signet")
                                              .ExpectAudience("signet-admin")
                                              .AllowAlgorithms(all)
                                              .ExpectType("at+jwt")
                                              .RequireSingleAudience()
                                              .RequireIssuedAt()
                                              .SetMaxTokenAge(std::chrono::seconds(3600))
                                              .SetLeeway(std::chrono::seconds(0))
                                              .Build();
    if (!keys.ok() || keys->keys().size() != 6 || keys->refused().size() != 1 || !jws.ok() ||
        !defaults.ok() || !strict.ok()) {
      Fail("the fixed key set or verifiers did not load");
    }
    return new Fixture{std::move(keys).value(), Jwks(), std::move(jws).value(),
                       JwtVerifier(std::move(defaults).value()),
                       JwtVerifier(std::move(strict).value())};
  }();
  return *fixture;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > kMaxInput) {
    return 0;
  }
  const Fixture& f = GetFixture();
  const std::string_view token(reinterpret_cast<const char*>(data), size);
  const signet::SystemTime now = signet::FromUnixSeconds(kNow);

  signet::Result<signet::jose::ParsedJws> parsed = signet::jose::ParseCompactJws(token);
  if (parsed.ok()) {
    const std::string_view input = parsed->signing_input;
    if (input.data() != token.data() || input.size() >= token.size()) {
      Fail("signing input is not a prefix of the token");
    }
  }

  signet::Result<signet::jose::VerifiedJws> jws = f.jws.Verify(token, f.keys);
  if (jws.ok()) {
    if (!parsed.ok()) Fail("a JWS verified that does not parse");
    if (jws->header().alg != parsed->header.alg || jws->payload() != parsed->payload) {
      Fail("the verified JWS differs from the parsed one");
    }
  }
  if (f.jws.Verify(token, f.no_keys).ok()) Fail("a JWS verified without any key");

  for (const JwtVerifier* verifier : {&f.jwt, &f.strict_jwt}) {
    signet::Result<signet::jose::VerifiedJwt> jwt = verifier->Verify(token, f.keys, now);
    if (!jwt.ok()) {
      continue;
    }
    if (!jws.ok()) Fail("a JWT verified whose JWS does not");
    if (jwt->algorithm() != jws->header().alg || jwt->key_id() != jws->header().kid) {
      Fail("the verified JWT differs from its JWS");
    }
    if (jwt->issuer() != "https://issuer.example" || jwt->audiences().empty()) {
      Fail("a JWT verified without its issuer or audience");
    }
    if (jwt->expires_at() + std::chrono::seconds(30) <= now) Fail("an expired JWT verified");
  }
  return 0;
}
