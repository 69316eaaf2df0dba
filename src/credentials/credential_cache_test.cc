#include "credentials/credential_cache.h"

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <future>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "support/status_matchers.h"

namespace signet::credentials {
namespace {

using std::chrono::seconds;
using testing::FailsWith;
using testing::FailsWithCode;
using testing::IsOk;

constexpr int kCallers = 50;

Credential MakeCredential(std::string token, SystemTime expires_at) {
  Credential credential;
  credential.access_token = std::move(token);
  credential.issued_token_type = "urn:ietf:params:oauth:token-type:access_token";
  credential.token_type = "Bearer";
  credential.expires_at = expires_at;
  return credential;
}

// A SimulatedClock that also counts reads of wall time and lets a test wait for a
// number of them. CredentialCache::Get reads the clock once, under the cache's lock,
// before it decides whether to wait for a fetch in flight; so once every caller has read
// it while a fetch is held, every one of them is waiting for that fetch (or is about to,
// still holding the lock the fetch needs to publish its outcome).
class CountingClock final : public Clock {
 public:
  SystemTime Now() const override {
    {
      std::lock_guard lock(mu_);
      ++reads_;
    }
    read_.notify_all();
    return clock_.Now();
  }
  MonotonicTime MonotonicNow() const override { return clock_.MonotonicNow(); }

  void Advance(std::chrono::nanoseconds d) { clock_.Advance(d); }
  int reads() const {
    std::lock_guard lock(mu_);
    return reads_;
  }
  void WaitForReads(int n) const {
    std::unique_lock lock(mu_);
    read_.wait(lock, [&] { return reads_ >= n; });
  }

 private:
  SimulatedClock clock_{FromUnixSeconds(1'800'000'000)};
  mutable std::mutex mu_;
  mutable std::condition_variable read_;
  mutable int reads_ = 0;
};

class CredentialCacheTest : public ::testing::Test {
 protected:
  // Counts its calls and answers "token-<call number>", valid for `lifetime` from the
  // time of the call.
  CredentialCache::Fetch Issue(seconds lifetime) {
    return [this, lifetime]() -> Result<Credential> {
      int n = ++fetches_;
      return MakeCredential("token-" + std::to_string(n), clock_.Now() + lifetime);
    };
  }
  // Counts its calls and fails as an unreachable destination would.
  CredentialCache::Fetch Fail() {
    return [this]() -> Result<Credential> {
      ++fetches_;
      return Status(ErrorCode::kTemporarilyUnavailable, "destination_unavailable",
                    "the token endpoint did not answer");
    };
  }
  // Counts its calls and fails the test: for requests that must be served from the cache.
  CredentialCache::Fetch MustNotFetch() {
    return [this]() -> Result<Credential> {
      ++fetches_;
      ADD_FAILURE() << "unexpected fetch";
      return Status(ErrorCode::kServerError, "unexpected_fetch", "unexpected fetch");
    };
  }

  // A fetch that says when it has started and answers `token` only once released.
  struct HeldFetch {
    std::promise<void> started;
    std::promise<void> release;
  };
  CredentialCache::Fetch Held(HeldFetch& held, std::string token) {
    return [this, &held, token]() -> Result<Credential> {
      held.started.set_value();
      held.release.get_future().wait();
      return MakeCredential(token, clock_.Now() + seconds(600));
    };
  }

  // Runs Get(key, fetch) on kCallers threads at once, with `fetch` held until all of
  // them are in Get, and returns what each got.
  std::vector<Result<Credential>> GetFromManyThreads(const std::string& key,
                                                     const CredentialCache::Fetch& fetch) {
    std::promise<void> release;
    std::shared_future<void> released = release.get_future().share();
    auto held_fetch = [&]() -> Result<Credential> {
      released.wait();
      return fetch();
    };
    const int reads_before = clock_.reads();
    std::vector<std::optional<Result<Credential>>> results(kCallers);
    std::vector<std::thread> threads;
    for (int i = 0; i < kCallers; ++i) {
      threads.emplace_back([&, i] { results[i] = cache_.Get(key, held_fetch); });
    }
    clock_.WaitForReads(reads_before + kCallers);
    release.set_value();
    for (std::thread& thread : threads) {
      thread.join();
    }
    std::vector<Result<Credential>> out;
    for (auto& result : results) {
      out.push_back(std::move(*result));
    }
    return out;
  }

  CountingClock clock_;
  CredentialCache cache_{clock_, CredentialCacheOptions{seconds(120), seconds(30)}};
  std::atomic<int> fetches_{0};
};

TEST_F(CredentialCacheTest, FetchesOnceAndServesTheCachedCredentialWhileFresh) {
  auto first = cache_.Get("billing|orders|read", Issue(seconds(600)));
  ASSERT_THAT(first, IsOk());
  EXPECT_EQ(first->access_token, "token-1");

  clock_.Advance(seconds(400));  // 200 s left: fresh
  auto second = cache_.Get("billing|orders|read", MustNotFetch());
  ASSERT_THAT(second, IsOk());
  EXPECT_EQ(second->access_token, "token-1");
  EXPECT_EQ(fetches_.load(), 1);

  auto other = cache_.Get("billing|orders|write", Issue(seconds(600)));
  ASSERT_THAT(other, IsOk());
  EXPECT_EQ(other->access_token, "token-2");
  EXPECT_EQ(fetches_.load(), 2);
  EXPECT_EQ(cache_.size(), 2u);
}

TEST_F(CredentialCacheTest, RefreshesInTheRefreshWindow) {
  ASSERT_THAT(cache_.Get("k", Issue(seconds(600))), IsOk());
  clock_.Advance(seconds(500));  // 100 s left: inside refresh_ahead, outside min_remaining

  auto refreshed = cache_.Get("k", Issue(seconds(600)));
  ASSERT_THAT(refreshed, IsOk());
  EXPECT_EQ(refreshed->access_token, "token-2");

  auto cached = cache_.Get("k", MustNotFetch());
  ASSERT_THAT(cached, IsOk());
  EXPECT_EQ(cached->access_token, "token-2");
  EXPECT_EQ(fetches_.load(), 2);
}

TEST_F(CredentialCacheTest, AFailedRefreshKeepsServingTheCachedCredentialAndIsRetried) {
  ASSERT_THAT(cache_.Get("k", Issue(seconds(600))), IsOk());
  clock_.Advance(seconds(500));

  auto first_try = cache_.Get("k", Fail());
  ASSERT_THAT(first_try, IsOk());
  EXPECT_EQ(first_try->access_token, "token-1");
  EXPECT_EQ(fetches_.load(), 2);

  // The failure is not remembered: the next request tries again.
  auto second_try = cache_.Get("k", Fail());
  ASSERT_THAT(second_try, IsOk());
  EXPECT_EQ(second_try->access_token, "token-1");
  EXPECT_EQ(fetches_.load(), 3);

  auto recovered = cache_.Get("k", Issue(seconds(600)));
  ASSERT_THAT(recovered, IsOk());
  EXPECT_EQ(recovered->access_token, "token-4");
}

TEST_F(CredentialCacheTest, AFailedRefreshThatOutlastsTheMarginIsTheError) {
  ASSERT_THAT(cache_.Get("k", Issue(seconds(600))), IsOk());
  clock_.Advance(seconds(500));  // 100 s left
  // The destination takes 80 s to fail: 20 s left is too little to hand out.
  auto slow_failure = [this]() -> Result<Credential> {
    clock_.Advance(seconds(80));
    return Status(ErrorCode::kTemporarilyUnavailable, "destination_unavailable", "timed out");
  };
  EXPECT_THAT(cache_.Get("k", slow_failure), FailsWith("destination_unavailable"));
}

TEST_F(CredentialCacheTest, WithinMinRemainingWaitsForAFreshCredential) {
  ASSERT_THAT(cache_.Get("k", Issue(seconds(600))), IsOk());
  clock_.Advance(seconds(580));  // 20 s left

  auto fresh = cache_.Get("k", Issue(seconds(600)));
  ASSERT_THAT(fresh, IsOk());
  EXPECT_EQ(fresh->access_token, "token-2");
  EXPECT_EQ(fetches_.load(), 2);
}

TEST_F(CredentialCacheTest, WithinMinRemainingAFailedFetchIsTheRequestsError) {
  ASSERT_THAT(cache_.Get("k", Issue(seconds(600))), IsOk());
  clock_.Advance(seconds(580));  // 20 s left: not handed out, even as a fallback

  EXPECT_THAT(cache_.Get("k", Fail()),
              FailsWithCode(ErrorCode::kTemporarilyUnavailable, "destination_unavailable"));
  EXPECT_THAT(cache_.Get("k", Fail()), FailsWith("destination_unavailable"));
  EXPECT_EQ(fetches_.load(), 3);
}

TEST_F(CredentialCacheTest, NeverReturnsAnExpiredCredentialAndDropsItsEntry) {
  ASSERT_THAT(cache_.Get("k", Issue(seconds(600))), IsOk());
  clock_.Advance(seconds(601));

  EXPECT_THAT(cache_.Get("k", Fail()), FailsWith("destination_unavailable"));
  EXPECT_EQ(cache_.size(), 0u);

  auto fresh = cache_.Get("k", Issue(seconds(600)));
  ASSERT_THAT(fresh, IsOk());
  EXPECT_EQ(fresh->access_token, "token-3");
  EXPECT_EQ(cache_.size(), 1u);
}

TEST_F(CredentialCacheTest, AFetchedCredentialThatHasAlreadyExpiredIsAnError) {
  auto expired = [this]() -> Result<Credential> {
    ++fetches_;
    return MakeCredential("stale", clock_.Now() - seconds(1));
  };
  EXPECT_THAT(cache_.Get("k", expired),
              FailsWithCode(ErrorCode::kServerError, "destination_credential_expired"));

  // Expiring exactly now is expired too.
  auto expiring_now = [this]() -> Result<Credential> {
    ++fetches_;
    return MakeCredential("stale", clock_.Now());
  };
  EXPECT_THAT(cache_.Get("k", expiring_now), FailsWith("destination_credential_expired"));
  EXPECT_EQ(cache_.size(), 0u);
  EXPECT_EQ(fetches_.load(), 2);
}

TEST_F(CredentialCacheTest, ExpiryOfAFetchedCredentialIsJudgedWhenTheFetchReturns) {
  // Valid for 10 s when the destination minted it; the answer took 20 s to arrive.
  auto slow = [this]() -> Result<Credential> {
    Credential credential = MakeCredential("late", clock_.Now() + seconds(10));
    clock_.Advance(seconds(20));
    return credential;
  };
  EXPECT_THAT(cache_.Get("k", slow), FailsWith("destination_credential_expired"));
}

TEST_F(CredentialCacheTest, AShortLivedFetchedCredentialIsReturnedButNotCached) {
  auto short_lived = cache_.Get("k", Issue(seconds(10)));  // within min_remaining
  ASSERT_THAT(short_lived, IsOk());
  EXPECT_EQ(short_lived->access_token, "token-1");
  EXPECT_EQ(cache_.size(), 0u);

  auto next = cache_.Get("k", Issue(seconds(10)));
  ASSERT_THAT(next, IsOk());
  EXPECT_EQ(next->access_token, "token-2");
}

TEST_F(CredentialCacheTest, ConcurrentCallersShareOneFetch) {
  std::vector<Result<Credential>> results = GetFromManyThreads("k", Issue(seconds(600)));
  EXPECT_EQ(fetches_.load(), 1);
  for (const Result<Credential>& result : results) {
    ASSERT_THAT(result, IsOk());
    EXPECT_EQ(result->access_token, "token-1");
  }
}

TEST_F(CredentialCacheTest, ConcurrentCallersShareOneFailure) {
  std::vector<Result<Credential>> results = GetFromManyThreads("k", Fail());
  EXPECT_EQ(fetches_.load(), 1);
  for (const Result<Credential>& result : results) {
    EXPECT_THAT(result, FailsWith("destination_unavailable"));
  }
  EXPECT_EQ(cache_.size(), 0u);
}

TEST_F(CredentialCacheTest, AThrowingFetchFailsEveryWaiterAndLeavesTheKeyUsable) {
  auto throwing = [this]() -> Result<Credential> {
    ++fetches_;
    throw std::runtime_error("client bug");
  };
  std::vector<Result<Credential>> results = GetFromManyThreads("k", throwing);
  EXPECT_EQ(fetches_.load(), 1);
  for (const Result<Credential>& result : results) {
    EXPECT_THAT(result, FailsWithCode(ErrorCode::kServerError, "internal"));
  }

  auto fresh = cache_.Get("k", Issue(seconds(600)));
  ASSERT_THAT(fresh, IsOk());
  EXPECT_EQ(fresh->access_token, "token-2");
}

TEST_F(CredentialCacheTest, DuringARefreshOtherCallersGetTheCachedCredentialAtOnce) {
  ASSERT_THAT(cache_.Get("k", Issue(seconds(600))), IsOk());
  clock_.Advance(seconds(500));  // refresh window

  HeldFetch hold;
  auto held_refresh = Held(hold, "refreshed");
  std::optional<Result<Credential>> refresher_got;
  std::thread refresher([&] { refresher_got = cache_.Get("k", held_refresh); });
  hold.started.get_future().wait();

  // Would block until `release` if it waited for the refresh: the test would hang.
  auto meanwhile = cache_.Get("k", MustNotFetch());
  ASSERT_THAT(meanwhile, IsOk());
  EXPECT_EQ(meanwhile->access_token, "token-1");

  hold.release.set_value();
  refresher.join();
  ASSERT_TRUE(refresher_got.has_value());
  ASSERT_THAT(*refresher_got, IsOk());
  EXPECT_EQ((*refresher_got)->access_token, "refreshed");
  auto after = cache_.Get("k", MustNotFetch());
  ASSERT_THAT(after, IsOk());
  EXPECT_EQ(after->access_token, "refreshed");
  EXPECT_EQ(fetches_.load(), 1);
}

TEST_F(CredentialCacheTest, ACallerNearExpiryWaitsForTheRefreshInFlight) {
  ASSERT_THAT(cache_.Get("k", Issue(seconds(600))), IsOk());
  clock_.Advance(seconds(500));  // refresh window

  HeldFetch hold;
  auto held_refresh = Held(hold, "refreshed");
  std::thread refresher([&] { EXPECT_THAT(cache_.Get("k", held_refresh), IsOk()); });
  hold.started.get_future().wait();

  clock_.Advance(seconds(80));  // 20 s left: the cached credential is no longer handed out
  const int reads_before = clock_.reads();
  std::optional<Result<Credential>> waiter_got;
  std::thread waiter([&] { waiter_got = cache_.Get("k", MustNotFetch()); });
  clock_.WaitForReads(reads_before + 1);  // the waiter has found the refresh in flight
  hold.release.set_value();
  refresher.join();
  waiter.join();

  ASSERT_TRUE(waiter_got.has_value());
  ASSERT_THAT(*waiter_got, IsOk());
  EXPECT_EQ((*waiter_got)->access_token, "refreshed");
  EXPECT_EQ(fetches_.load(), 1);
}

TEST_F(CredentialCacheTest, FetchesForDifferentKeysRunInParallel) {
  HeldFetch hold;
  auto held = Held(hold, "slow");
  std::thread slow([&] { EXPECT_THAT(cache_.Get("slow", held), IsOk()); });
  hold.started.get_future().wait();

  // Would hang if a fetch held the cache's lock or serialized all keys.
  auto other = cache_.Get("other", Issue(seconds(600)));
  ASSERT_THAT(other, IsOk());
  EXPECT_EQ(other->access_token, "token-1");

  hold.release.set_value();
  slow.join();
  EXPECT_EQ(cache_.size(), 2u);
}

TEST_F(CredentialCacheTest, PeekAnswersOnlyAFreshCredentialAndNeverFetches) {
  EXPECT_FALSE(cache_.Peek("k").has_value());
  ASSERT_THAT(cache_.Get("k", Issue(seconds(600))), IsOk());
  std::optional<Credential> fresh = cache_.Peek("k");
  ASSERT_TRUE(fresh.has_value());
  EXPECT_EQ(fresh->access_token, "token-1");

  clock_.Advance(seconds(500));  // inside refresh_ahead: the caller must go to Get
  EXPECT_FALSE(cache_.Peek("k").has_value());
  EXPECT_EQ(fetches_.load(), 1);
}

TEST_F(CredentialCacheTest, PurgeDropsTheMatchingCredentialsOnly) {
  ASSERT_THAT(cache_.Get("billing|a", Issue(seconds(600))), IsOk());  // token-1
  ASSERT_THAT(cache_.Get("orders|a", Issue(seconds(600))), IsOk());   // token-2

  EXPECT_EQ(cache_.Purge([](const Credential& c) { return c.access_token == "token-1"; }), 1u);
  EXPECT_FALSE(cache_.Peek("billing|a").has_value());
  EXPECT_TRUE(cache_.Peek("orders|a").has_value());
  EXPECT_EQ(cache_.size(), 1u);
  auto refetched = cache_.Get("billing|a", Issue(seconds(600)));
  ASSERT_THAT(refetched, IsOk());
  EXPECT_EQ(refetched->access_token, "token-3");
}

TEST_F(CredentialCacheTest, AFetchInFlightDuringAPurgeIsHandedOutButNotCached) {
  HeldFetch held;
  auto pending = std::async(std::launch::async, [&] { return cache_.Get("k", Held(held, "old")); });
  held.started.get_future().wait();
  cache_.Purge([](const Credential& c) { return c.access_token == "old"; });
  cache_.Purge([](const Credential& c) { return c.access_token == "other"; });
  held.release.set_value();
  auto outcome = pending.get();
  ASSERT_THAT(outcome, IsOk());
  EXPECT_EQ(outcome->access_token, "old");
  EXPECT_FALSE(cache_.Peek("k").has_value());
  EXPECT_EQ(cache_.size(), 0u);
}

TEST_F(CredentialCacheTest, APurgeThatDoesNotMatchAFetchInFlightLetsItBeCached) {
  HeldFetch held;
  auto pending =
      std::async(std::launch::async, [&] { return cache_.Get("k", Held(held, "kept")); });
  held.started.get_future().wait();
  cache_.Purge([](const Credential& c) { return c.access_token == "other"; });
  held.release.set_value();
  ASSERT_THAT(pending.get(), IsOk());
  ASSERT_TRUE(cache_.Peek("k").has_value());
  EXPECT_EQ(cache_.Peek("k")->access_token, "kept");
}

TEST_F(CredentialCacheTest, NegativeMinRemainingNeverLetsAnExpiredCredentialOut) {
  CredentialCache cache(clock_, CredentialCacheOptions{seconds(-10), seconds(-60)});
  ASSERT_THAT(cache.Get("k", Issue(seconds(600))), IsOk());
  clock_.Advance(seconds(620));  // expired 20 s ago
  EXPECT_THAT(cache.Get("k", Fail()), FailsWith("destination_unavailable"));
}

}  // namespace
}  // namespace signet::credentials
