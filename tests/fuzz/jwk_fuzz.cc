// Fuzzes jose::Jwk::Parse and jose::Jwks::Parse, which read key sets fetched from
// issuers. Beyond "no crash, no sanitizer report", every key that is accepted must:
//   - publish no private member through ToJson() (a leak of d or k would put a private
//     key into Signet's own JWKS endpoint);
//   - publish only the members Jwk documents;
//   - have a thumbprint, and keep it when its public JWK is loaded again;
// and the public JWKS of an accepted set must load again with the same keys.
// Any violation aborts, so libFuzzer reports it as a crash.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "jose/algorithm.h"
#include "jose/jwk.h"
#include "jose/reasons.h"

namespace {

using signet::jose::Jwk;
using signet::jose::Jwks;

// Well above what a key set needs once mutated, and well below Jwks's 256 KiB limit, so
// that a re-serialized set (never longer than its input) always fits that limit too.
constexpr size_t kMaxInput = 64 * 1024;

[[noreturn]] void Fail(const char* what) {
  std::fprintf(stderr, "jwk_fuzz: property violated: %s\n", what);
  std::abort();
}

void CheckAcceptedKey(const Jwk& key) {
  const boost::json::object& pub = key.ToJson();
  for (const char* member : {"d", "p", "q", "dp", "dq", "qi", "k", "oth"}) {
    if (pub.contains(member)) Fail("ToJson() publishes a private member");
  }
  for (const auto& member : pub) {
    static constexpr std::string_view kPublic[] = {"kty", "crv", "x",   "y",  "n",
                                                   "e",   "kid", "alg", "use"};
    bool known = false;
    for (std::string_view name : kPublic) known = known || member.key() == name;
    if (!known) Fail("ToJson() publishes a member that is not a documented public one");
  }
  if (key.pkey() == nullptr) Fail("accepted key has no OpenSSL key");
  // Exercise every algorithm against the key: the result does not matter, only that
  // the checks hold up for any accepted key.
  for (signet::jose::Algorithm alg : signet::jose::kAllAlgorithms) {
    (void)key.CheckUsableFor(alg);
  }

  const std::string thumbprint = key.Thumbprint();
  if (thumbprint.size() != 43) Fail("thumbprint is not 32 bytes in base64url");
  signet::Result<Jwk> again = Jwk::FromJson(pub);
  if (!again.ok()) Fail("the public JWK of an accepted key is refused");
  if (again->Thumbprint() != thumbprint) Fail("thumbprint changed when the key was reloaded");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > kMaxInput) {
    return 0;
  }
  const std::string_view text(reinterpret_cast<const char*>(data), size);

  if (signet::Result<Jwk> jwk = Jwk::Parse(text); jwk.ok()) {
    CheckAcceptedKey(*jwk);
  }

  signet::Result<Jwks> jwks = Jwks::Parse(text);
  if (!jwks.ok()) {
    return 0;
  }
  for (const Jwk& key : jwks->keys()) {
    CheckAcceptedKey(key);
  }
  signet::Result<Jwks> reloaded = Jwks::Parse(jwks->ToJson());
  if (!reloaded.ok()) Fail("Jwks::ToJson() of an accepted set is refused");
  if (!reloaded->refused().empty()) {
    Fail("Jwks::ToJson() of an accepted set holds a key that is refused on reload");
  }
  if (reloaded->keys().size() != jwks->keys().size()) {
    Fail("Jwks::ToJson() of an accepted set does not reload to as many keys");
  }
  for (size_t i = 0; i < reloaded->keys().size(); ++i) {
    if (reloaded->keys()[i].Thumbprint() != jwks->keys()[i].Thumbprint()) {
      Fail("Jwks::ToJson() reordered or changed a key");
    }
  }
  return 0;
}
