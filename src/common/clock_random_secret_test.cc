#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <vector>

#include <sstream>
#include <type_traits>

#include "common/clock.h"
#include "common/random.h"
#include "common/secret.h"

namespace signet {
namespace {

using std::chrono::seconds;

TEST(SimulatedClockTest, MovesOnlyWhenAdvanced) {
  SimulatedClock clock(FromUnixSeconds(1000));
  EXPECT_EQ(ToUnixSeconds(clock.Now()), 1000.0);
  auto mono = clock.MonotonicNow();
  clock.Advance(seconds(30));
  EXPECT_EQ(ToUnixSeconds(clock.Now()), 1030.0);
  EXPECT_EQ(clock.MonotonicNow() - mono, seconds(30));
}

TEST(SimulatedClockTest, WallStepLeavesMonotonicAlone) {
  SimulatedClock clock(FromUnixSeconds(1000));
  auto mono = clock.MonotonicNow();
  clock.SetWallTime(FromUnixSeconds(500));
  EXPECT_EQ(ToUnixSeconds(clock.Now()), 500.0);
  EXPECT_EQ(clock.MonotonicNow(), mono);
}

TEST(Rfc3339Test, ParsesWhatDestinationsWrite) {
  const SystemTime noon = FromUnixSeconds(1'764'417'600);  // 2025-11-29T12:00:00Z
  EXPECT_EQ(ParseRfc3339("2025-11-29T12:00:00Z"), noon);
  EXPECT_EQ(ParseRfc3339("2025-11-29t12:00:00z"), noon);
  EXPECT_EQ(ParseRfc3339("2025-11-29T12:00:00.999999Z"), noon);  // never later than stated
  EXPECT_EQ(ParseRfc3339("2025-11-29T13:30:00+01:30"), noon);
  EXPECT_EQ(ParseRfc3339("2025-11-29T11:00:00-01:00"), noon);
  EXPECT_EQ(ParseRfc3339(FormatUtcSeconds(noon)), noon);
  for (const char* bad :
       {"", "2025-11-29", "2025-11-29T12:00:00", "2025-11-29 12:00:00Z", "2025-02-30T12:00:00Z",
        "2025-11-29T24:00:00Z", "2025-11-29T12:00:00.Z", "2025-11-29T12:00:00+0100",
        "2025-11-29T12:00:00Zjunk", "2025-1a-29T12:00:00Z"}) {
    EXPECT_EQ(ParseRfc3339(bad), std::nullopt) << bad;
  }
}

TEST(RandomTest, SeededIsReproducibleAndSeedsDiffer) {
  SeededRandom a(7), b(7), c(8);
  std::string ida = a.Base64UrlId(), idb = b.Base64UrlId(), idc = c.Base64UrlId();
  EXPECT_EQ(ida, idb);
  EXPECT_NE(ida, idc);
  EXPECT_EQ(ida.size(), 22u);  // 16 bytes
}

TEST(RandomTest, SecureIdsDiffer) {
  EXPECT_NE(Random::Secure().Base64UrlId(), Random::Secure().Base64UrlId());
}

// Small draws come from a per-thread buffer: across many refills, with odd-sized draws
// between them to misalign it, no 16-byte draw repeats or comes back wiped (all zero).
TEST(RandomTest, SecureSmallDrawsNeverRepeatAcrossRefills) {
  std::set<std::vector<uint8_t>> seen;
  const std::vector<uint8_t> zero(16, 0);
  for (int i = 0; i < 2000; ++i) {
    std::vector<uint8_t> odd(1 + i % 13);
    Random::Secure().Fill(odd);
    std::vector<uint8_t> draw(16);
    Random::Secure().Fill(draw);
    EXPECT_NE(draw, zero);
    EXPECT_TRUE(seen.insert(draw).second) << "draw " << i << " repeated";
  }
  std::vector<uint8_t> large(4096);  // past the buffer: straight from the DRBG
  Random::Secure().Fill(large);
  EXPECT_NE(std::count(large.begin(), large.end(), 0), 4096);
}

template <typename T>
concept Streamable = requires(std::ostream& os, const T& t) {
  os << t;
};

TEST(SecretTest, CannotBePrintedOrConvertedImplicitly) {
  static_assert(!Streamable<Secret>);
  static_assert(!std::is_convertible_v<Secret, std::string>);
  static_assert(!std::is_convertible_v<Secret, std::string_view>);
  static_assert(!std::is_convertible_v<std::string, Secret>);
}

TEST(SecretTest, RevealNeedsAccessAndEqualityIsByValue) {
  Secret a("hunter2"), b("hunter2"), c("hunter3");
  EXPECT_EQ(a.Reveal(SecretAccess::Grant()), "hunter2");
  EXPECT_TRUE(a.Equals(b));
  EXPECT_FALSE(a.Equals(c));
  Secret moved = std::move(a);
  EXPECT_EQ(moved.size(), 7u);
  EXPECT_TRUE(a.empty());  // NOLINT(bugprone-use-after-move): moved-from is wiped
}

}  // namespace
}  // namespace signet
