#include "support/hostile_tokens.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/json/serialize.hpp>

#include "common/base64url.h"
#include "jose/jws.h"
#include "jose/reasons.h"
#include "jose/signature.h"
#include "support/status_matchers.h"

namespace signet::testing {

namespace reason = jose::reason;

std::string Num(int64_t v) { return std::to_string(v); }

// ---------------------------------------------------------------------------------------

namespace {

// A JSON string of `text`, which the callers keep free of characters needing escapes.
std::string Quoted(std::string_view text) {
  EXPECT_EQ(text.find_first_of("\"\\"), std::string_view::npos) << text;
  return "\"" + std::string(text) + "\"";
}

}  // namespace

Claims Claims::Good(std::string_view iss, std::string_view sub, std::string_view aud, int64_t now) {
  Claims claims;
  claims.iss = Quoted(iss);
  claims.sub = Quoted(sub);
  claims.aud = Quoted(aud);
  claims.iat = Num(now - 10);
  claims.exp = Num(now + 300);
  return claims;
}

std::string Claims::Json() const {
  std::string out = "{";
  auto add = [&out](std::string_view name, const std::string& value) {
    if (value.empty()) {
      return;
    }
    if (out.size() > 1) {
      out += ',';
    }
    out += '"';
    out += name;
    out += "\":";
    out += value;
  };
  add("iss", iss);
  add("sub", sub);
  add("aud", aud);
  add("iat", iat);
  add("nbf", nbf);
  add("exp", exp);
  if (!extra.empty()) {
    out += (out.size() > 1 ? "," : "") + extra;
  }
  return out + "}";
}

std::string Header(std::string_view alg, std::string_view kid, std::string_view extra) {
  std::string out = "{\"alg\":\"" + std::string(alg) + "\"";
  if (!kid.empty()) {
    out += ",\"kid\":\"" + std::string(kid) + "\"";
  }
  if (!extra.empty()) {
    out += "," + std::string(extra);
  }
  return out + "}";
}

std::string HeaderFor(const jose::SigningKey& key, std::string_view extra) {
  return Header(jose::AlgorithmName(key.algorithm()), key.kid(), extra);
}

std::string Sign(const jose::SigningKey& key, std::string_view header, std::string_view payload) {
  Result<std::string> token = jose::SignCompactJws(key, header, payload);
  EXPECT_THAT(token, IsOk());
  return token.ok() ? *token : std::string();
}

std::string SignEncoded(const jose::SigningKey& key, const std::string& header_b64,
                        const std::string& payload_b64) {
  std::string input = header_b64 + "." + payload_b64;
  Result<std::string> signature = key.Sign(input);
  EXPECT_THAT(signature, IsOk());
  return input + "." + Base64UrlEncode(signature.ok() ? *signature : "");
}

std::vector<std::string> Split(std::string_view token) {
  std::vector<std::string> parts;
  size_t start = 0;
  for (size_t dot; (dot = token.find('.', start)) != std::string_view::npos; start = dot + 1) {
    parts.emplace_back(token.substr(start, dot - start));
  }
  parts.emplace_back(token.substr(start));
  return parts;
}

std::string Join(const std::string& h, const std::string& p, const std::string& s) {
  return h + "." + p + "." + s;
}

std::string DecodedSignature(std::string_view token) { return *Base64UrlDecode(Split(token)[2]); }

std::string WithSignature(std::string_view token, std::string_view signature) {
  std::vector<std::string> parts = Split(token);
  return Join(parts[0], parts[1], Base64UrlEncode(signature));
}

std::string WithTrailingBits(std::string b64) {
  static constexpr std::string_view kAlphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  EXPECT_NE(b64.size() % 4, 0u) << "no unused bits in a multiple of 4 characters";
  size_t index = kAlphabet.find(b64.back());
  EXPECT_EQ(index % 2, 0u) << "canonical encoding has zero trailing bits";
  b64.back() = kAlphabet[index | 1];
  return b64;
}

std::string UnalignedJson(std::string json) {
  if (json.size() % 3 == 0) {
    json += ' ';
  }
  return json;
}

std::string Utf16(std::string_view ascii, bool big_endian) {
  std::string out;
  for (char c : ascii) {
    if (big_endian) {
      out += '\0';
      out += c;
    } else {
      out += c;
      out += '\0';
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------

namespace {

struct BioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};
struct BnFree {
  void operator()(BIGNUM* b) const { BN_free(b); }
};
struct X509Free {
  void operator()(X509* x) const { X509_free(x); }
};
using BnPtr = std::unique_ptr<BIGNUM, BnFree>;

}  // namespace

std::string PublicKeyPem(EVP_PKEY* pkey) {
  std::unique_ptr<BIO, BioFree> bio(BIO_new(BIO_s_mem()));
  EXPECT_EQ(PEM_write_bio_PUBKEY(bio.get(), pkey), 1);
  char* data = nullptr;
  long len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(len));
}

std::string PublicKeyDer(EVP_PKEY* pkey) {
  uint8_t* der = nullptr;
  int len = i2d_PUBKEY(pkey, &der);
  EXPECT_GT(len, 0);
  std::string out(reinterpret_cast<char*>(der), static_cast<size_t>(len));
  OPENSSL_free(der);
  return out;
}

std::string BnParamBytes(EVP_PKEY* pkey, const char* name) {
  BIGNUM* raw = nullptr;
  EXPECT_EQ(EVP_PKEY_get_bn_param(pkey, name, &raw), 1);
  BnPtr bn(raw);
  std::string out(static_cast<size_t>(BN_num_bytes(bn.get())), '\0');
  BN_bn2bin(bn.get(), reinterpret_cast<uint8_t*>(out.data()));
  return out;
}

std::string EcPointBytes(EVP_PKEY* pkey) {
  uint8_t buf[200];
  size_t len = 0;
  EXPECT_EQ(EVP_PKEY_get_octet_string_param(pkey, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, buf,
                                            sizeof(buf), &len),
            1);
  return std::string(reinterpret_cast<char*>(buf), len);
}

std::string Ed25519RawPublic(EVP_PKEY* pkey) {
  uint8_t buf[32];
  size_t len = sizeof(buf);
  EXPECT_EQ(EVP_PKEY_get_raw_public_key(pkey, buf, &len), 1);
  return std::string(reinterpret_cast<char*>(buf), len);
}

std::string Hmac(const EVP_MD* md, std::string_view key, std::string_view data) {
  static const uint8_t kEmpty = 0;  // HMAC wants a pointer even for an empty key
  uint8_t out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  const void* key_ptr = key.empty() ? static_cast<const void*>(&kEmpty) : key.data();
  EXPECT_NE(HMAC(md, key_ptr, static_cast<int>(key.size()),
                 reinterpret_cast<const uint8_t*>(data.data()), data.size(), out, &len),
            nullptr);
  return std::string(reinterpret_cast<char*>(out), len);
}

std::string HmacToken(std::string_view alg, const EVP_MD* md, std::string_view kid,
                      std::string_view secret, std::string_view claims_json) {
  std::string input = Base64UrlEncode(Header(alg, kid)) + "." + Base64UrlEncode(claims_json);
  return input + "." + Base64UrlEncode(Hmac(md, secret, input));
}

std::string RawToDer(std::string_view raw) {
  size_t n = raw.size() / 2;
  const auto* p = reinterpret_cast<const uint8_t*>(raw.data());
  ECDSA_SIG* sig = ECDSA_SIG_new();
  EXPECT_EQ(ECDSA_SIG_set0(sig, BN_bin2bn(p, static_cast<int>(n), nullptr),
                           BN_bin2bn(p + n, static_cast<int>(n), nullptr)),
            1);
  uint8_t* der = nullptr;
  int len = i2d_ECDSA_SIG(sig, &der);
  ECDSA_SIG_free(sig);
  std::string out(reinterpret_cast<char*>(der), static_cast<size_t>(len));
  OPENSSL_free(der);
  return out;
}

std::string P256Order() {
  return *HexDecode("ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551");
}

std::string P256Negate(std::string_view s) {
  std::string order = P256Order();
  BnPtr n(BN_bin2bn(reinterpret_cast<const uint8_t*>(order.data()), 32, nullptr));
  BnPtr v(BN_bin2bn(reinterpret_cast<const uint8_t*>(s.data()), 32, nullptr));
  BnPtr out(BN_new());
  EXPECT_EQ(BN_sub(out.get(), n.get(), v.get()), 1);
  std::string bytes(32, '\0');
  EXPECT_EQ(BN_bn2binpad(out.get(), reinterpret_cast<uint8_t*>(bytes.data()), 32), 32);
  return bytes;
}

std::string SelfSignedCertDer(EVP_PKEY* pkey) {
  std::unique_ptr<X509, X509Free> cert(X509_new());
  X509_set_version(cert.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), 1);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), 0);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 3600);
  X509_set_pubkey(cert.get(), pkey);
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const uint8_t*>("issuer.example"), -1, -1, 0);
  X509_set_issuer_name(cert.get(), name);
  EXPECT_GT(X509_sign(cert.get(), pkey, EVP_sha256()), 0);
  uint8_t* der = nullptr;
  int len = i2d_X509(cert.get(), &der);
  EXPECT_GT(len, 0);
  std::string out(reinterpret_cast<char*>(der), static_cast<size_t>(len));
  OPENSSL_free(der);
  return out;
}

std::string StdBase64(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  int len = EVP_EncodeBlock(reinterpret_cast<uint8_t*>(out.data()),
                            reinterpret_cast<const uint8_t*>(bytes.data()),
                            static_cast<int>(bytes.size()));
  out.resize(static_cast<size_t>(len));
  return out;
}

WeakRsa MakeWeakRsa(std::string_view kid) {
  WeakRsa weak;
  weak.pkey.reset(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(1024)));
  EXPECT_NE(weak.pkey, nullptr);
  boost::json::object jwk{
      {"kty", "RSA"},
      {"kid", kid},
      {"alg", "RS256"},
      {"use", "sig"},
      {"n", Base64UrlEncode(BnParamBytes(weak.pkey.get(), OSSL_PKEY_PARAM_RSA_N))},
      {"e", Base64UrlEncode(BnParamBytes(weak.pkey.get(), OSSL_PKEY_PARAM_RSA_E))}};
  weak.jwk_json = boost::json::serialize(jwk);
  return weak;
}

// ---------------------------------------------------------------------------------------

LoopbackListener::LoopbackListener() {
  fd_ = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof(addr);
  if (fd_ < 0 || bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      listen(fd_, 16) != 0 || getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    Close();
    return;
  }
  port_ = ntohs(addr.sin_port);
}

LoopbackListener::~LoopbackListener() { Close(); }

std::string LoopbackListener::Url(std::string_view path) const {
  return "http://127.0.0.1:" + std::to_string(port_) + std::string(path);
}

int LoopbackListener::AcceptPending() {
  int count = 0;
  pollfd p{fd_, POLLIN, 0};
  while (poll(&p, 1, 0) > 0 && (p.revents & POLLIN) != 0) {
    int conn = accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (conn < 0) {
      break;
    }
    close(conn);
    ++count;
  }
  return count;
}

void LoopbackListener::Close() {
  if (fd_ >= 0) {
    close(fd_);
  }
  fd_ = -1;
}

// ---------------------------------------------------------------------------------------

namespace {

// The keys a careful issuer would not publish, as JWK JSON, with the kids the
// catalogue's tokens name.
std::vector<std::string> UnpublishableJwks(const jose::SigningKey& es256, const WeakRsa& weak) {
  const boost::json::object& good = es256.public_jwk().ToJson();
  auto variant = [&good](std::string_view kid) {
    boost::json::object json = good;
    json["kid"] = kid;
    return json;
  };
  std::string y = *Base64UrlDecode(good.at("y").as_string());
  y.back() = static_cast<char>(y.back() ^ 0x01);
  boost::json::object off_curve = variant("es-offcurve");
  off_curve["y"] = Base64UrlEncode(y);
  boost::json::object short_x = variant("es-short");
  short_x["x"] = Base64UrlEncode(Base64UrlDecode(good.at("x").as_string())->substr(1));
  boost::json::object enc = variant("es-enc");
  enc["use"] = "enc";
  boost::json::object sign_only = variant("es-ops-sign");
  sign_only.erase("use");
  sign_only["key_ops"] = boost::json::array{"sign"};
  boost::json::object conflict = variant("es-conflict");
  conflict["key_ops"] = boost::json::array{"encrypt"};
  boost::json::object leaked = variant("es-private");
  leaked["d"] = Base64UrlEncode(std::string(32, '\x07'));
  std::vector<std::string> out = {weak.jwk_json};
  for (const auto& json : {off_curve, short_x, enc, sign_only, conflict, leaked}) {
    out.push_back(boost::json::serialize(json));
  }
  out.push_back(R"({"kty":"oct","kid":"oct-1","k":"c2VjcmV0"})");
  return out;
}

class Catalogue {
 public:
  explicit Catalogue(const HostileTokenSetting& s) : s_(s) {}

  std::vector<HostileToken> Take() { return std::move(tokens_); }

  void Add(std::string name, int item, std::string token, std::string_view why) {
    EXPECT_LT(token.size(), 60'000u) << name;
    tokens_.push_back({std::move(name), item, std::move(token), std::string(why)});
  }

  Claims Good() const { return Claims::Good(s_.issuer, s_.subject, s_.audience, s_.now); }
  std::string GoodToken(const jose::SigningKey& key) const {
    return Sign(key, HeaderFor(key), Good().Json());
  }
  std::string Signed(const Claims& claims) const {
    return Sign(*s_.es256, HeaderFor(*s_.es256), claims.Json());
  }
  std::string Canary(std::string_view path) const { return s_.canary_url + std::string(path); }

  void Format();
  void Json();
  void Size();
  void Algorithms();
  void Signatures();
  void KeysInTheJwks(const WeakRsa& weak);
  void HeaderMembers();
  void KeySelection();
  void ClaimsAndTime();

 private:
  const HostileTokenSetting& s_;
  std::vector<HostileToken> tokens_;
};

void Catalogue::Format() {
  const jose::SigningKey& es = *s_.es256;
  const std::string claims = Good().Json();
  std::string good = GoodToken(es);
  std::vector<std::string> p = Split(good);
  // 1: alg none in any spelling, with no signature or a copied one.
  for (std::string_view none : {"none", "None", "NONE", "nOnE"}) {
    std::string n(none);
    Add("item01_alg_" + n + "_unsigned", 1,
        Base64UrlEncode(Header(none, "")) + "." + Base64UrlEncode(claims) + ".", reason::kAlgNone);
    Add("item01_alg_" + n + "_copied_signature", 1,
        Join(Base64UrlEncode(Header(none, es.kid())), p[1], p[2]), reason::kAlgNone);
  }
  // 2: segments.
  Add("item02_two_segments", 2, p[0] + "." + p[1], reason::kSegmentCount);
  Add("item02_four_segments", 2, good + "." + p[2], reason::kSegmentCount);
  Add("item02_one_segment", 2, p[0], reason::kSegmentCount);
  Add("item02_empty", 2, "", reason::kSegmentCount);
  Add("item02_empty_header", 2, Join("", p[1], p[2]), reason::kSegmentEmpty);
  Add("item02_two_dots", 2, "..", reason::kSegmentEmpty);
  Add("item02_signature_only", 2, ".." + p[2], reason::kSegmentEmpty);
  Add("item02_trailing_dot_no_signature", 2, p[0] + "." + p[1] + ".", reason::kSignatureMissing);
  Add("item02_trailing_dot_after_token", 2, good + ".", reason::kSegmentCount);
  Add("item02_empty_payload_signed", 2, SignEncoded(es, Base64UrlEncode(HeaderFor(es)), ""),
      "json_malformed");
  Add("item02_empty_payload_real_signature", 2, Join(p[0], "", p[2]), reason::kSignatureInvalid);
  // 3: JSON serializations and JSON characters in a compact token.
  std::string flattened = R"({"payload":")" + p[1] + R"(","protected":")" + p[0] +
                          R"(","signature":")" + p[2] + R"("})";
  Add("item03_json_general", 3,
      R"({"payload":")" + p[1] + R"(","signatures":[{"protected":")" + p[0] + R"(","signature":")" +
          p[2] + R"("}]})",
      reason::kJsonSerializationRefused);
  Add("item03_json_flattened", 3, flattened, reason::kJsonSerializationRefused);
  Add("item03_json_flattened_leading_space", 3, " " + flattened, reason::kTokenCharset);
  int i = 0;
  for (std::string_view bad : {"{", "\"", " ", "=", "}", "\t"}) {
    std::string token = good;
    token.insert(good.find('.') + 3, bad);
    Add("item03_inserted_char_" + Num(i++), 3, token, reason::kTokenCharset);
  }
  Add("item03_claims_after_token", 3, good + R"( {"sub":"admin"})", reason::kTokenCharset);
  Add("item03_raw_json_payload", 3, p[0] + "." + claims + "." + p[2], reason::kTokenCharset);
  // 4: non-canonical base64url.
  Add("item04_padding", 4, good + "==", reason::kTokenCharset);
  Add("item04_padding_in_header", 4, Join(p[0] + "=", p[1], p[2]), reason::kTokenCharset);
  std::string plus = good;
  plus[good.find('.') + 1] = '+';
  Add("item04_plus", 4, plus, reason::kTokenCharset);
  std::string slash = good;
  slash[good.find('.') + 1] = '/';
  Add("item04_slash", 4, slash, reason::kTokenCharset);
  std::string newline = good;
  newline.insert(good.size() / 2, "\n");
  Add("item04_newline", 4, newline, reason::kTokenCharset);
  Add("item04_trailing_crlf", 4, good + "\r\n", reason::kTokenCharset);
  Add("item04_signature_trailing_bits", 4, Join(p[0], p[1], WithTrailingBits(p[2])),
      reason::kBase64Url);
  std::string header = Base64UrlEncode(UnalignedJson(HeaderFor(es)));
  std::string payload = Base64UrlEncode(UnalignedJson(claims));
  Add("item04_header_trailing_bits", 4, SignEncoded(es, WithTrailingBits(header), payload),
      reason::kBase64Url);
  Add("item04_payload_trailing_bits", 4, SignEncoded(es, header, WithTrailingBits(payload)),
      reason::kBase64Url);
  std::string one_mod_four = p[1];
  while (one_mod_four.size() % 4 != 1) {
    one_mod_four += 'A';
  }
  Add("item04_length_one_mod_four", 4, SignEncoded(es, p[0], one_mod_four), reason::kBase64Url);
  // 8: JWE.
  Add("item08_jwe_five_segments", 8,
      Base64UrlEncode(R"({"alg":"RSA-OAEP-256","enc":"A256GCM","kid":"rs-1"})") + "." +
          Base64UrlEncode(std::string(256, '\x11')) + "." +
          Base64UrlEncode(std::string(12, '\x22')) + "." + Base64UrlEncode(claims) + "." +
          Base64UrlEncode(std::string(16, '\x33')),
      reason::kJweRefused);
  Add("item08_jwe_dir_zip", 8,
      Base64UrlEncode(R"({"alg":"dir","enc":"A128GCM","zip":"DEF"})") + ".." +
          Base64UrlEncode(std::string(12, '\x22')) + "." +
          Base64UrlEncode(std::string(64, '\x44')) + "." + Base64UrlEncode(std::string(16, '\x33')),
      reason::kJweRefused);
}

void Catalogue::Json() {
  const jose::SigningKey& es = *s_.es256;
  const std::string claims = Good().Json();
  const std::string header = HeaderFor(es);
  // 5: not a UTF-8 JSON object.
  const std::string array_header = R"([{"alg":"ES256","kid":")" + es.kid() + R"("}])";
  Add("item05_header_array", 5, Sign(es, array_header, claims), "json_not_object");
  Add("item05_header_string", 5, Sign(es, R"("ES256")", claims), "json_not_object");
  Add("item05_header_number", 5, Sign(es, "42", claims), "json_not_object");
  Add("item05_payload_array", 5, Sign(es, header, "[" + claims + "]"), "json_not_object");
  Add("item05_payload_string", 5, Sign(es, header, Quoted(s_.issuer)), "json_not_object");
  Add("item05_payload_null", 5, Sign(es, header, "null"), "json_not_object");
  for (bool be : {false, true}) {
    std::string order = be ? "be" : "le";
    std::string bom = be ? std::string("\xfe\xff") : std::string("\xff\xfe");
    Add("item05_header_utf16" + order, 5, Sign(es, Utf16(header, be), claims), "json_malformed");
    Add("item05_header_utf16" + order + "_bom", 5, Sign(es, bom + Utf16(header, be), claims),
        "json_malformed");
    Add("item05_payload_utf16" + order, 5, Sign(es, header, Utf16(claims, be)), "json_malformed");
  }
  const std::string bom = "\xef\xbb\xbf";
  Add("item05_header_utf8_bom", 5, Sign(es, bom + header, claims), "json_malformed");
  Add("item05_payload_utf8_bom", 5, Sign(es, header, bom + claims), "json_malformed");
  int i = 0;
  for (std::string_view bad : {"\xff", "\xc0\xaf", "\xed\xa0\x80", "\xe2\x82"}) {
    Claims invalid = Good();
    invalid.sub = "\"workload-" + std::string(bad) + "\"";
    Add("item05_invalid_utf8_sub_" + Num(i++), 5, Signed(invalid), "json_malformed");
  }
  Add("item05_invalid_utf8_kid", 5, Sign(es, Header("ES256", es.kid() + "\xc0\xaf"), claims),
      "json_malformed");
  // 6: duplicate alg, either order, or spelled with an escape.
  const std::string kid = "\"kid\":\"" + es.kid() + "\"";
  Add("item06_alg_none_then_es256", 6,
      Sign(es, R"({"alg":"none","alg":"ES256",)" + kid + "}", claims), "json_duplicate_member");
  Add("item06_alg_es256_then_none", 6,
      Sign(es, R"({"alg":"ES256",)" + kid + R"(,"alg":"none"})", claims), "json_duplicate_member");
  Add("item06_alg_twice_same", 6, Sign(es, R"({"alg":"ES256","alg":"ES256",)" + kid + "}", claims),
      "json_duplicate_member");
  Add("item06_alg_escaped", 6, Sign(es, R"({"alg":"ES256","\u0061lg":"none",)" + kid + "}", claims),
      "json_duplicate_member");
  // 7: duplicate claims.
  for (auto [name, extra] : std::initializer_list<std::pair<std::string_view, std::string>>{
           {"sub", R"("sub":"admin")"},
           {"aud", R"("aud":"other-rp")"},
           {"exp", "\"exp\":" + Num(s_.now + 10 * 365 * 24 * 3600)},
           {"iss", R"("iss":"https://attacker.example")"},
           {"aud_escaped", R"("\u0061ud":"other-rp")"},
           {"sub_escaped", R"("s\u0075b":"admin")"}}) {
    Claims dup = Good();
    dup.extra = extra;
    Add("item07_duplicate_" + std::string(name), 7, Signed(dup), "json_duplicate_member");
  }
  // 10: nesting. The 10,000-deep header is over the token size cap before any parser
  // sees it; nested claims within the cap meet the depth limit.
  Add("item10_deep_header", 10,
      Sign(es,
           R"({"alg":"ES256",)" + kid + R"(,"x":)" + std::string(10'000, '[') +
               std::string(10'000, ']') + "}",
           claims),
      reason::kTokenTooLarge);
  Claims deep = Good();
  deep.extra = "\"x\":" + std::string(17, '[') + std::string(17, ']');
  Add("item10_deep_claims", 10, Signed(deep), "json_too_deep");
}

void Catalogue::Size() {
  // 9: the size cap, checked before decoding. (A megabyte or 100,000 dots do not fit the
  // token endpoint's request limit; 50,000 bytes do and are refused by the token's cap.)
  Claims padded = Good();
  padded.extra = "\"pad\":\"" + std::string(16 * 1024, 'x') + "\"";
  Add("item09_signed_over_16k", 9, Signed(padded), reason::kTokenTooLarge);
  Add("item09_50k_letters", 9, std::string(50'000, 'A'), reason::kTokenTooLarge);
  Add("item09_50k_dots", 9, std::string(50'000, '.'), reason::kTokenTooLarge);
}

void Catalogue::Algorithms() {
  const std::string claims = Good().Json();
  const jose::SigningKey& rs = *s_.rs256;
  const jose::SigningKey& es = *s_.es256;
  const jose::SigningKey& ed = *s_.eddsa;
  // 11, 12: HMAC keyed with the public key the verifier holds, in every encoding.
  std::string rsa_pem = PublicKeyPem(rs.pkey());
  std::vector<std::pair<std::string, std::string>> rsa = {
      {"pem", rsa_pem},
      {"der", PublicKeyDer(rs.pkey())},
      {"jwk", boost::json::serialize(rs.public_jwk().ToJson())},
      {"modulus", BnParamBytes(rs.pkey(), OSSL_PKEY_PARAM_RSA_N)}};
  for (const auto& [name, secret] : rsa) {
    Add("item11_hs256_rsa_" + name, 11, HmacToken("HS256", EVP_sha256(), rs.kid(), secret, claims),
        reason::kAlgSymmetricRefused);
  }
  Add("item11_hs384_rsa_pem", 11, HmacToken("HS384", EVP_sha384(), rs.kid(), rsa_pem, claims),
      reason::kAlgSymmetricRefused);
  Add("item11_hs512_rsa_pem", 11, HmacToken("HS512", EVP_sha512(), rs.kid(), rsa_pem, claims),
      reason::kAlgSymmetricRefused);
  std::vector<std::pair<std::string, std::string>> other = {
      {"ec_pem", PublicKeyPem(es.pkey())},
      {"ec_der", PublicKeyDer(es.pkey())},
      {"ec_point", EcPointBytes(es.pkey())},
      {"ec_jwk", boost::json::serialize(es.public_jwk().ToJson())},
      {"ed25519_raw", Ed25519RawPublic(ed.pkey())},
      {"ed25519_pem", PublicKeyPem(ed.pkey())},
      {"ed25519_der", PublicKeyDer(ed.pkey())},
      {"ed25519_jwk", boost::json::serialize(ed.public_jwk().ToJson())}};
  for (const auto& [name, secret] : other) {
    const std::string& kid = name.starts_with("ec") ? es.kid() : ed.kid();
    Add("item12_hs256_" + name, 12, HmacToken("HS256", EVP_sha256(), kid, secret, claims),
        reason::kAlgSymmetricRefused);
  }
  // 13: a valid token from a published key whose algorithm is not allowed.
  Add("item13_es384_not_allowed", 13, GoodToken(*s_.es384), reason::kAlgNotAllowed);
  // 14: alg contradicting the named key.
  Add("item14_es256_header_rsa_key", 14, Sign(*s_.attacker, Header("ES256", rs.kid()), claims),
      reason::kAlgKeyMismatch);
  Add("item14_eddsa_header_ec_key", 14, Sign(ed, Header("EdDSA", es.kid()), claims),
      reason::kAlgKeyMismatch);
  Add("item14_rs256_header_ed_key", 14, Sign(rs, Header("RS256", ed.kid()), claims),
      reason::kAlgKeyMismatch);
}

void Catalogue::Signatures() {
  std::string good = GoodToken(*s_.es256);
  std::string sig = DecodedSignature(good);
  std::string n = P256Order();
  std::string above = n;
  above[31] = static_cast<char>(above[31] + 1);  // n + 1 (n ends in 0x51: no carry)
  std::string zero(32, '\0');
  std::string max(32, '\xff');
  // 15, 16: ECDSA r and s outside [1, n-1].
  Add("item15_all_zero", 15, WithSignature(good, zero + zero), reason::kEcdsaSignatureRange);
  for (auto [name, bad] : std::initializer_list<std::pair<std::string_view, std::string>>{
           {"r_zero", zero + sig.substr(32)},
           {"s_zero", sig.substr(0, 32) + zero},
           {"r_s_order", n + n},
           {"r_order", n + sig.substr(32)},
           {"s_order", sig.substr(0, 32) + n},
           {"r_above_order", above + sig.substr(32)},
           {"s_above_order", sig.substr(0, 32) + above},
           {"all_ff", max + max}}) {
    Add("item16_" + std::string(name), 16, WithSignature(good, bad), reason::kEcdsaSignatureRange);
  }
  // 17: ECDSA signatures of the wrong length or encoding.
  Add("item17_der", 17, WithSignature(good, RawToDer(sig)), reason::kEcdsaSignatureLength);
  Add("item17_63_bytes", 17, WithSignature(good, sig.substr(0, 63)), reason::kEcdsaSignatureLength);
  Add("item17_65_bytes", 17, WithSignature(good, sig + '\0'), reason::kEcdsaSignatureLength);
  Add("item17_96_bytes", 17, WithSignature(good, sig + sig.substr(0, 32)),
      reason::kEcdsaSignatureLength);
  // 18: a change anywhere, for each kind of key.
  Claims admin = Good();
  admin.sub = "\"admin\"";
  for (const jose::SigningKey* key : {s_.es256, s_.rs256, s_.eddsa}) {
    std::string alg(jose::AlgorithmName(key->algorithm()));
    std::string token = GoodToken(*key);
    std::vector<std::string> p = Split(token);
    Add("item18_modified_header_" + alg, 18,
        Join(Base64UrlEncode(HeaderFor(*key, R"("typ":"JWT")")), p[1], p[2]),
        reason::kSignatureInvalid);
    Add("item18_modified_payload_" + alg, 18, Join(p[0], Base64UrlEncode(admin.Json()), p[2]),
        reason::kSignatureInvalid);
    std::string flipped = DecodedSignature(token);
    flipped.back() = static_cast<char>(flipped.back() ^ 0x01);
    Add("item18_modified_signature_" + alg, 18, WithSignature(token, flipped),
        reason::kSignatureInvalid);
    Add("item18_no_signature_" + alg, 18, p[0] + "." + p[1] + ".", reason::kSignatureMissing);
  }
}

void Catalogue::KeysInTheJwks(const WeakRsa& weak) {
  const std::string claims = Good().Json();
  // 19: signed by the 1024-bit key the JWKS lists (refused at load).
  std::string input = Base64UrlEncode(Header("RS256", "rsa-weak")) + "." + Base64UrlEncode(claims);
  Result<std::string> sig = jose::SignData(jose::Algorithm::kRS256, weak.pkey.get(), input);
  EXPECT_THAT(sig, IsOk());
  Add("item19_rsa_1024_key", 19, input + "." + Base64UrlEncode(sig.ok() ? *sig : ""),
      reason::kKeyRefused);
  // 20, 29, 44: a real ES256 signature naming a published key that may not verify it.
  auto naming = [&](std::string_view kid) { return Sign(*s_.es256, Header("ES256", kid), claims); };
  Add("item20_key_off_curve", 20, naming("es-offcurve"), reason::kKeyRefused);
  Add("item20_key_short_coordinate", 20, naming("es-short"), reason::kKeyRefused);
  Add("item29_key_use_enc", 29, naming("es-enc"), reason::kKeyNotForSignature);
  Add("item29_key_ops_sign_only", 29, naming("es-ops-sign"), reason::kKeyNotForSignature);
  Add("item29_key_use_key_ops_conflict", 29, naming("es-conflict"), reason::kKeyRefused);
  Add("item44_key_with_private_member", 44, naming("es-private"), reason::kKeyRefused);
  Add("item44_symmetric_key", 44, naming("oct-1"), reason::kKeyRefused);
  Add("item44_hs256_with_symmetric_key", 44,
      HmacToken("HS256", EVP_sha256(), "oct-1", "secret", claims), reason::kAlgSymmetricRefused);
}

void Catalogue::HeaderMembers() {
  const jose::SigningKey& es = *s_.es256;
  const jose::SigningKey& attacker = *s_.attacker;
  const std::string claims = Good().Json();
  // 21, 22: crit and b64.
  for (auto [name, extra] : std::initializer_list<std::pair<std::string_view, std::string_view>>{
           {"crit_understood_extension", R"("crit":["exp-ext"],"exp-ext":1)"},
           {"crit_unknown", R"("crit":["unknown"])"},
           {"crit_empty", R"("crit":[])"},
           {"crit_alg", R"("crit":["alg"])"},
           {"crit_string", R"("crit":"alg")"}}) {
    Add("item21_" + std::string(name), 21, Sign(es, HeaderFor(es, extra), claims),
        reason::kCritRefused);
  }
  Add("item22_b64_false_crit", 22, Sign(es, HeaderFor(es, R"("b64":false,"crit":["b64"])"), claims),
      reason::kCritRefused);
  Add("item22_b64_false", 22, Sign(es, HeaderFor(es, R"("b64":false)"), claims),
      reason::kB64Refused);
  Add("item22_b64_true", 22, Sign(es, HeaderFor(es, R"("b64":true)"), claims), reason::kB64Refused);
  // 23: the key in the header (CVE-2018-0114), also naming a real kid, and carrying the
  // canary as the embedded key's x5u.
  boost::json::object jwk = attacker.public_jwk().ToJson();
  std::string embedded = "\"jwk\":" + boost::json::serialize(jwk);
  Add("item23_embedded_jwk", 23, Sign(attacker, HeaderFor(attacker, embedded), claims),
      reason::kHeaderKeyReferenceRefused);
  Add("item23_embedded_jwk_real_kid", 23,
      Sign(attacker, Header("ES256", es.kid(), embedded), claims),
      reason::kHeaderKeyReferenceRefused);
  jwk["x5u"] = Canary("/jwk-x5u.pem");
  Add("item23_embedded_jwk_x5u_canary", 23,
      Sign(attacker, HeaderFor(attacker, "\"jwk\":" + boost::json::serialize(jwk)), claims),
      reason::kHeaderKeyReferenceRefused);
  // 24: jku and x5u to the canary and to the cloud metadata address, signed by the
  // attacker or by a real issuer key.
  for (std::string_view member : {"jku", "x5u"}) {
    std::string m(member);
    std::string canary = "\"" + m + "\":\"" + Canary("/" + m) + "\"";
    std::string metadata = "\"" + m + "\":\"http://169.254.169.254/latest/meta-data/iam/\"";
    Add("item24_" + m + "_canary", 24, Sign(attacker, HeaderFor(attacker, canary), claims),
        reason::kHeaderKeyReferenceRefused);
    Add("item24_" + m + "_canary_real_key", 24, Sign(es, HeaderFor(es, canary), claims),
        reason::kHeaderKeyReferenceRefused);
    Add("item24_" + m + "_metadata", 24, Sign(attacker, HeaderFor(attacker, metadata), claims),
        reason::kHeaderKeyReferenceRefused);
    Add("item24_" + m + "_metadata_real_key", 24, Sign(es, HeaderFor(es, metadata), claims),
        reason::kHeaderKeyReferenceRefused);
  }
  Claims canary_iss = Good();
  canary_iss.iss = Quoted(Canary(""));
  Add("item24_jku_and_iss_canary", 24,
      Sign(attacker, HeaderFor(attacker, "\"jku\":\"" + Canary("/jwks.json") + "\""),
           canary_iss.Json()),
      reason::kHeaderKeyReferenceRefused);
  // 25: a self-signed x5c chain.
  Add("item25_x5c_self_signed", 25,
      Sign(attacker,
           Header("ES256", "",
                  "\"x5c\":[\"" + StdBase64(SelfSignedCertDer(attacker.pkey())) + "\"]"),
           claims),
      reason::kHeaderKeyReferenceRefused);
}

void Catalogue::KeySelection() {
  const jose::SigningKey& es = *s_.es256;
  const jose::SigningKey& attacker = *s_.attacker;
  const std::string claims = Good().Json();
  // 26: kid is an index into the issuer's keys, never a path, a query or a URL.
  const std::string traversal = "../../../../dev/null";
  Add("item26_kid_traversal", 26, Sign(attacker, Header("ES256", traversal), claims),
      reason::kKidUnknown);
  Add("item26_kid_traversal_hs256_empty_key", 26,
      HmacToken("HS256", EVP_sha256(), traversal, "", claims), reason::kAlgSymmetricRefused);
  int i = 0;
  for (std::string_view kid : {"' OR '1'='1", "es-1' --", "x' UNION SELECT 'key"}) {
    Add("item26_kid_sql_" + Num(i++), 26, Sign(attacker, Header("ES256", kid), claims),
        reason::kKidUnknown);
  }
  Add("item26_kid_nul_after", 26, Sign(es, Header("ES256", es.kid() + "\\u0000"), claims),
      reason::kKidUnknown);
  Add("item26_kid_nul_before", 26, Sign(es, Header("ES256", "\\u0000" + es.kid()), claims),
      reason::kKidUnknown);
  Add("item26_kid_20k", 26, Sign(es, Header("ES256", std::string(20 * 1024, 'k')), claims),
      reason::kTokenTooLarge);
  Add("item26_kid_257_bytes", 26, Sign(es, Header("ES256", std::string(257, 'k')), claims),
      reason::kKidInvalid);
  Add("item26_kid_canary_url", 26, Sign(attacker, Header("ES256", Canary("/kid")), claims),
      reason::kKidUnknown);
  Add("item26_kid_canary_url_hs256", 26,
      HmacToken("HS256", EVP_sha256(), Canary("/kid"), "", claims), reason::kAlgSymmetricRefused);
  // 28: no kid while the issuer publishes two ES256 keys.
  Add("item28_no_kid_two_keys", 28, Sign(es, Header("ES256", ""), claims), reason::kKidAmbiguous);
  // 30: another issuer's key, under its own kid or one colliding with ours.
  Add("item30_other_issuer_key", 30, GoodToken(attacker), reason::kKidUnknown);
  Add("item30_other_issuer_key_colliding_kid", 30, Sign(attacker, HeaderFor(es), claims),
      reason::kSignatureInvalid);
}

void Catalogue::ClaimsAndTime() {
  const int64_t now = s_.now;
  // The time checks run an hour from every limit, so that the verifier's clock and
  // `now` may differ by seconds without changing the answer.
  constexpr int64_t kHour = 3600;
  Claims c = Good();
  c.iat = Num(now - 2 * kHour);
  c.exp = Num(now - kHour);
  Add("item31_expired", 31, Signed(c), reason::kExpired);
  c = Good();
  c.nbf = Num(now + kHour);
  c.exp = Num(now + 2 * kHour);
  Add("item32_not_yet_valid", 32, Signed(c), reason::kNotYetValid);
  c.nbf = "\"soon\"";
  Add("item32_nbf_string", 32, Signed(c), reason::kNbfInvalid);
  c = Good();
  c.exp = "";
  Add("item33_exp_missing", 33, Signed(c), reason::kExpMissing);
  int i = 0;
  for (std::string exp :
       {std::string(R"("9999999999")"), std::string("true"), std::string("false"),
        std::string("null"), std::string("1e300"), std::string("-1"), "[" + Num(now + 300) + "]",
        std::string(R"({"v":1})"), std::string("18446744073709551615")}) {
    c = Good();
    c.exp = exp;
    Add("item34_exp_invalid_" + Num(i++), 34, Signed(c), reason::kExpInvalid);
  }
  c = Good();
  c.exp = Num(now - 10 + s_.max_lifetime + kHour);
  Add("item35_lifetime_too_long", 35, Signed(c), reason::kLifetimeTooLong);
  c.iat = "";
  Add("item35_lifetime_too_long_no_iat", 35, Signed(c), reason::kLifetimeTooLong);
  c = Good();
  c.iat = Num(now + kHour);
  c.exp = Num(now + 2 * kHour);
  Add("item35_iat_in_future", 35, Signed(c), reason::kIatInFuture);
  // 36: audiences.
  c = Good();
  c.aud = "";
  Add("item36_aud_missing", 36, Signed(c), reason::kAudMissing);
  i = 0;
  const std::string ours = Quoted(s_.audience);
  for (std::string aud : {std::string("[]"), std::string("42"), std::string("null"),
                          std::string("true"), "{\"aud\":" + ours + "}", "[" + ours + ",42]"}) {
    c.aud = aud;
    Add("item36_aud_invalid_" + Num(i++), 36, Signed(c), reason::kAudInvalid);
  }
  i = 0;
  for (std::string aud : {std::string(R"("other")"), std::string(R"(["other"])"),
                          std::string(R"(["other","another"])"), Quoted(s_.audience + " "),
                          "[" + Quoted(s_.audience + "/") + "]", Quoted(Canary("/aud"))}) {
    c.aud = aud;
    Add("item36_aud_mismatch_" + Num(i++), 36, Signed(c), reason::kAudMismatch);
  }
  // 37 (two audiences under a single-audience policy) has no subject-token form: an
  // issuer's rules accept any `aud` list that contains one of its audiences.
  // 38: an `iss` that is nearly the issuer's, or the canary.
  std::string host = s_.issuer.substr(s_.issuer.find("://") + 3);
  i = 0;
  for (std::string iss : {s_.issuer + "/", "http://" + host, host, s_.issuer + ":443",
                          "HTTPS://" + host, Canary("")}) {
    c = Good();
    c.iss = Quoted(iss);
    Add("item38_iss_" + Num(i++), 38, Signed(c), reason::kIssMismatch);
  }
  // 39, 40: explicitly typed tokens where the issuer expects none (an access token, a
  // workload identity token, a DPoP proof, a transaction token) are not subject tokens.
  for (std::string_view typ : {"at+jwt", "wit+jwt", "dpop+jwt", "txntoken+jwt"}) {
    std::string name(typ);
    name.replace(name.find('+'), 1, "_");
    Add((typ == "at+jwt" ? "item40_typ_" : "item39_typ_") + name, typ == "at+jwt" ? 40 : 39,
        Sign(*s_.es256, HeaderFor(*s_.es256, "\"typ\":\"" + std::string(typ) + "\""),
             Good().Json()),
        reason::kTypMismatch);
  }
}

}  // namespace

HostileTokenSet MakeHostileTokens(const HostileTokenSetting& setting) {
  WeakRsa weak = MakeWeakRsa("rsa-weak");
  HostileTokenSet set;
  std::string keys;
  for (const jose::SigningKey* key :
       {setting.es256, setting.es256_second, setting.rs256, setting.eddsa, setting.es384}) {
    keys += boost::json::serialize(key->public_jwk().ToJson()) + ",";
  }
  std::vector<std::string> unpublishable = UnpublishableJwks(*setting.es256, weak);
  for (size_t i = 0; i < unpublishable.size(); ++i) {
    keys += unpublishable[i] + (i + 1 < unpublishable.size() ? "," : "");
  }
  set.jwks_json = "{\"keys\":[" + keys + "]}";
  set.algorithms = "[ES256, RS256, EdDSA]";

  Catalogue catalogue(setting);
  set.good_token = catalogue.GoodToken(*setting.es256);
  Claims with_urls = catalogue.Good();
  with_urls.extra = "\"jku\":\"" + catalogue.Canary("/claim-jku") + "\",\"jwks_uri\":\"" +
                    catalogue.Canary("/claim-jwks") + "\",\"cnf\":{\"jku\":\"" +
                    catalogue.Canary("/cnf-jku") + "\"}";
  set.good_token_with_url_claims = catalogue.Signed(with_urls);

  catalogue.Format();
  catalogue.Json();
  catalogue.Size();
  catalogue.Algorithms();
  catalogue.Signatures();
  catalogue.KeysInTheJwks(weak);
  catalogue.HeaderMembers();
  catalogue.KeySelection();
  catalogue.ClaimsAndTime();
  set.tokens = catalogue.Take();
  return set;
}

}  // namespace signet::testing
