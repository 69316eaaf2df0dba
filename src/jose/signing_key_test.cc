// Loading third parties' RSA keys (FromRsaPrivateKeyPem) and the public key fingerprint.
#include "jose/signing_key.h"

#include <gtest/gtest.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "jose/signature.h"
#include "support/status_matchers.h"

namespace signet::jose {
namespace {

using testing::FailsWith;
using testing::IsOk;

// A 2048-bit key in PKCS#1 form, as GitHub hands out App keys (made for this test with
// `openssl genrsa -traditional 2048`). Its fingerprint below is what
// `openssl pkey -pubout -outform DER | openssl dgst -sha256 -binary | base64` prints.
constexpr const char* kPkcs1Pem =
    "-----BEGIN RSA PRIVATE KEY-----\n"
    "MIIEowIBAAKCAQEAnx46/91yx8u0UobvLFEd+fE6WciJ/urDqMBr9JdgSguSwZiy\n"
    "NSB1zh5q34VtsFtJuJ37fqup60IrxjVGO31biBjhaVMmzJ7FQBpF5LktKp8l1AZw\n"
    "ZJW+U7cMfsLovadUKPtIVA3e9/hjQQdf8lItlT9MxQAHTji+si6kdcWMmq1sOzIl\n"
    "Cwv9YCYSkC5ObbHdIv2yNzsX1emIskoGfB7Bc+ku1vpET6IDphumqGEoe462bo1k\n"
    "axCUT5GqL0yx5V+2Apb4Qj3nkg8Ue0zYWEzbJKnrWIMkJagX/qVvclCtexmNnlon\n"
    "vn6oh252eLJ1ikVLCUe4S7Zqr2nd9bGLmmfKswIDAQABAoIBABQZdv10JTgcwMH9\n"
    "/n9cHcvBT4wg22GimSWbbOegKY8g6CBhX/17BLaNPBXRHnp9BZJ3DlpBZ/zqRmpK\n"
    "t3zzSFkoP20VDl0hnywKRZLvW0e7g8VFLPRfwAOGJ2NpzomKdgSZPVk0yVoMe8ku\n"
    "m82Z2N01+kYWS1XzsA8E+kxQMIMnOvpQV0h8eMJ59kb1YTGBWRNBPxl8C3pxVs1p\n"
    "wB5eHFB+o7FBx8exca1WpllZy/ZbkcD7iUW6kmIsU3XwiRDeC8QtDa3mX4S+oC4E\n"
    "YOoCy7zO+WV4bqm0uV+IHa+wQc/z1LETMWIRcGSicEs4QmdrNVRovDOGBiLSS2oz\n"
    "1rxzDfECgYEAzQECSDVixmQC+onyQKKczBqy2vALstqraeaRnaUNMhklgPAi8j0g\n"
    "4/jt1pUoMilr/huLsn1XD3O4mUS12cJGBF3l+iPdTaiPimoRv1qlLRJh21S4IUUW\n"
    "gd0WN5N819wvhHC5p1h0CdTatLOdb99SY+UvEmOm00oGEdSZL4jATLECgYEAxrMi\n"
    "YIMaVzlntIfQhzu8OIymfLYmSeSQ4SBnFG5K8sUwXpoHLGx8Gkl8rWT21o7Cl0fp\n"
    "Xado1g5mvOOZxDHJGmuwhI9W1PjoulWdxsy2TJEDyusDXXqOPohNk5CH7sk2jTGG\n"
    "4fwqPYiieoxV/RDGwH+cv++hVCxWkf5EeVBL1qMCgYAk+hKcTazUVgPHhwxAJlSb\n"
    "6BDstrGVgCW9A06una/Eoo6GNEpJYUdGd4cG1n6alagZ/IP1HPCQI/JfCuq2LXmN\n"
    "nhY2STPIpyfE8p7i4gm7GH64Hg7cSWbm46b3PU4ebWPQwrhp++VqRI9yWpeCL0jg\n"
    "Jd2YtorHv6lam/tJfKQa8QKBgQCue/O+KKJi4ggNYg5eEriwN+KjNRjeXpZS+y9J\n"
    "o6ixEzPsfvm5qvI36zxOz5BqzSZXzlBBa5cGEdNqH7uRq95bEyII5g5sKr/DkRdh\n"
    "0bZr+hQIhuOHnO14QB1PbeXQbGU5C7rUi6lUK73yO3XvKmI9/FHbwkQ7NEw5G71p\n"
    "gnd2XQKBgHfjvxbS50tTdQ1caecT6n5XaVLyMIpZNBXvt7E4Ogge9+N90hSnYsZb\n"
    "CsP/ZKZqaCR4qzRDI+uLuvmUEg5ciXSMO042tywyedsULP1jY0ZuyFVfhVrHwzHh\n"
    "GyaCHBmUt3A2BKxcG8wH4jqMyWnMV2T7y5K1xXYDO9ukImU7pLj8\n"
    "-----END RSA PRIVATE KEY-----\n";
constexpr const char* kPkcs1Fingerprint = "6Foyc/5C87JWqb0E/JsOAJjWJJi5FT/9H/AXpc8f2Pw=";

TEST(RsaPrivateKeyPemTest, LoadsPkcs1AndGivesItsFingerprint) {
  auto key = SigningKey::FromRsaPrivateKeyPem(Secret(kPkcs1Pem), "app");
  ASSERT_THAT(key, IsOk());
  EXPECT_EQ(key->algorithm(), Algorithm::kRS256);
  EXPECT_EQ(key->kid(), "app");
  auto fingerprint = key->PublicKeySha256();
  ASSERT_THAT(fingerprint, IsOk());
  EXPECT_EQ(*fingerprint, kPkcs1Fingerprint);
  // What it signs verifies with its public half.
  auto signature = key->Sign("payload");
  ASSERT_THAT(signature, IsOk());
  EXPECT_THAT(VerifySignature(Algorithm::kRS256, key->public_jwk(), "payload", *signature), IsOk());
}

TEST(RsaPrivateKeyPemTest, LoadsPkcs8) {
  auto generated = SigningKey::GenerateForTesting(Algorithm::kRS256, "g", 3072);
  ASSERT_THAT(generated, IsOk());
  Secret pkcs8 = generated->ToPkcs8Pem();
  ASSERT_TRUE(pkcs8.Reveal(SecretAccess::Grant()).starts_with("-----BEGIN PRIVATE KEY-----"));
  auto key = SigningKey::FromRsaPrivateKeyPem(pkcs8, "g");
  ASSERT_THAT(key, IsOk());
  EXPECT_EQ(key->PublicKeySha256().value(), generated->PublicKeySha256().value());
  EXPECT_EQ(key->public_jwk().ToJson(), generated->public_jwk().ToJson());
}

TEST(RsaPrivateKeyPemTest, RefusesWhatIsNotAnRsaKeyOfEnoughBits) {
  auto ec = SigningKey::GenerateForTesting(Algorithm::kES256, "ec");
  ASSERT_THAT(ec, IsOk());
  EXPECT_THAT(SigningKey::FromRsaPrivateKeyPem(ec->ToPkcs8Pem(), "ec"),
              FailsWith("private_key_not_rsa"));
  // Made with OpenSSL directly: Signet's own keys cannot be that short.
  EVP_PKEY* short_key = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", size_t{1024});
  ASSERT_NE(short_key, nullptr);
  BIO* bio = BIO_new(BIO_s_mem());
  ASSERT_EQ(PEM_write_bio_PrivateKey(bio, short_key, nullptr, nullptr, 0, nullptr, nullptr), 1);
  char* data = nullptr;
  long len = BIO_get_mem_data(bio, &data);
  std::string short_pem(data, static_cast<size_t>(len));
  BIO_free(bio);
  EVP_PKEY_free(short_key);
  auto refused = SigningKey::FromRsaPrivateKeyPem(Secret(short_pem), "s");
  EXPECT_THAT(refused, FailsWith("private_key_too_short"));
  EXPECT_NE(refused.status().message().find("1024 bits"), std::string::npos);
  std::string pem(kPkcs1Pem);
  auto garbled = SigningKey::FromRsaPrivateKeyPem(Secret(pem.substr(0, 200)), "g");
  EXPECT_THAT(garbled, FailsWith("private_key_invalid"));
  // The message never quotes the key.
  EXPECT_EQ(garbled.status().message().find(pem.substr(40, 20)), std::string::npos);
  EXPECT_THAT(SigningKey::FromRsaPrivateKeyPem(Secret(""), "g"), FailsWith("private_key_invalid"));
}

}  // namespace
}  // namespace signet::jose
