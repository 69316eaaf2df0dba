#include "common/aead.h"

#include <gtest/gtest.h>

#include "common/base64url.h"
#include "support/status_matchers.h"

namespace signet {
namespace {

using ::signet::testing::FailsWithCode;
using ::signet::testing::IsOk;

std::string Reveal(const Secret& s) { return std::string(s.Reveal(SecretAccess::Grant())); }
Secret FromHex(std::string_view hex) { return Secret(*HexDecode(hex)); }

class AeadTest : public ::testing::Test {
 protected:
  SeededRandom random_{42};
  Secret key_ = Secret(std::string(32, 'k'));
  Secret plaintext_ = Secret("-----BEGIN PRIVATE KEY-----\nnot really\n");
};

TEST_F(AeadTest, SealThenOpenRoundTrips) {
  auto sealed = AeadSeal(key_, plaintext_, "kid-1", random_);
  ASSERT_THAT(sealed, IsOk());
  EXPECT_EQ(sealed->size(), kAeadNonceBytes + plaintext_.size() + kAeadTagBytes);
  EXPECT_EQ(sealed->find("not really"), std::string::npos);
  auto opened = AeadOpen(key_, *sealed, "kid-1");
  ASSERT_THAT(opened, IsOk());
  EXPECT_TRUE(opened->Equals(plaintext_));
}

TEST_F(AeadTest, EmptyPlaintextAndAadRoundTrip) {
  auto sealed = AeadSeal(key_, Secret(), "", random_);
  ASSERT_THAT(sealed, IsOk());
  EXPECT_EQ(sealed->size(), kAeadNonceBytes + kAeadTagBytes);
  auto opened = AeadOpen(key_, *sealed, "");
  ASSERT_THAT(opened, IsOk());
  EXPECT_TRUE(opened->empty());
}

TEST_F(AeadTest, EachSealUsesAFreshNonce) {
  auto a = AeadSeal(key_, plaintext_, "kid-1", random_);
  auto b = AeadSeal(key_, plaintext_, "kid-1", random_);
  ASSERT_THAT(a, IsOk());
  ASSERT_THAT(b, IsOk());
  EXPECT_NE(a->substr(0, kAeadNonceBytes), b->substr(0, kAeadNonceBytes));
}

TEST_F(AeadTest, WrongKeyFails) {
  auto sealed = AeadSeal(key_, plaintext_, "kid-1", random_);
  ASSERT_THAT(sealed, IsOk());
  EXPECT_THAT(AeadOpen(Secret(std::string(32, 'K')), *sealed, "kid-1"),
              FailsWithCode(ErrorCode::kServerError, "decrypt_failed"));
}

TEST_F(AeadTest, WrongAadFails) {
  auto sealed = AeadSeal(key_, plaintext_, "kid-1", random_);
  ASSERT_THAT(sealed, IsOk());
  EXPECT_THAT(AeadOpen(key_, *sealed, "kid-2"),
              FailsWithCode(ErrorCode::kServerError, "decrypt_failed"));
  EXPECT_THAT(AeadOpen(key_, *sealed, ""),
              FailsWithCode(ErrorCode::kServerError, "decrypt_failed"));
}

TEST_F(AeadTest, AnyFlippedBitFails) {
  auto sealed = AeadSeal(key_, plaintext_, "kid-1", random_);
  ASSERT_THAT(sealed, IsOk());
  // Nonce, ciphertext and tag are all authenticated.
  for (size_t i = 0; i < sealed->size(); ++i) {
    std::string tampered = *sealed;
    tampered[i] ^= 0x01;
    EXPECT_THAT(AeadOpen(key_, tampered, "kid-1"),
                FailsWithCode(ErrorCode::kServerError, "decrypt_failed"))
        << "byte " << i;
  }
}

TEST_F(AeadTest, TruncatedFails) {
  auto sealed = AeadSeal(key_, plaintext_, "kid-1", random_);
  ASSERT_THAT(sealed, IsOk());
  for (size_t n :
       {size_t{0}, kAeadNonceBytes, kAeadNonceBytes + kAeadTagBytes - 1, sealed->size() - 1}) {
    EXPECT_THAT(AeadOpen(key_, sealed->substr(0, n), "kid-1"),
                FailsWithCode(ErrorCode::kServerError, "decrypt_failed"))
        << "length " << n;
  }
}

TEST_F(AeadTest, DecryptFailureMessageSaysWhatToCheck) {
  auto opened = AeadOpen(key_, std::string(40, 'x'), "kid-1");
  ASSERT_FALSE(opened.ok());
  EXPECT_NE(opened.status().message().find("master key"), std::string::npos);
}

TEST_F(AeadTest, KeyOfWrongSizeRefused) {
  Secret short_key(std::string(16, 'k'));
  EXPECT_THAT(AeadSeal(short_key, plaintext_, "", random_),
              FailsWithCode(ErrorCode::kInvalidConfig, "key_invalid"));
  EXPECT_THAT(AeadOpen(short_key, std::string(40, 'x'), ""),
              FailsWithCode(ErrorCode::kInvalidConfig, "key_invalid"));
}

// McGrew & Viega, "The Galois/Counter Mode of Operation (GCM)", test case 16 (AES-256,
// 96-bit IV, with AAD), laid out as nonce || ciphertext || tag.
TEST_F(AeadTest, OpensGcmSpecTestCase16) {
  Secret key = FromHex("feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308");
  std::string aad = *HexDecode("feedfacedeadbeeffeedfacedeadbeefabaddad2");
  std::string sealed = *HexDecode(
      "cafebabefacedbaddecaf888"
      "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa8cb08e48590dbb3da7b08b10"
      "56828838c5f61e6393ba7a0abcc9f662"
      "76fc6ece0f4e1768cddf8853bb2d551b");
  auto opened = AeadOpen(key, sealed, aad);
  ASSERT_THAT(opened, IsOk());
  EXPECT_EQ(Reveal(*opened),
            *HexDecode("d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956"
                       "809532fcf0e2449a6b525b16aedf5aa0de657ba637b39"));
}

}  // namespace
}  // namespace signet
