#include "server/config_sync.h"

#include <gtest/gtest.h>

#include "support/status_matchers.h"
#include "support/temp_dir.h"
#include "trust/fake_fetcher.h"

namespace signet::server {
namespace {

using testing::FailsWith;
using testing::IsOk;

class ConfigSyncTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = store::OpenSqliteStore(dir_.File("signet.db"));
    ASSERT_THAT(store, IsOk());
    store_ = std::move(*store);
    durable_ = std::make_unique<DurableKillSwitch>(*store_, kill_, clock_);
    fetcher_.Serve("https://idp.test/keys", jose::Jwks({idp_key_.public_jwk()}).ToJson());
    sync_ = Make();
  }

  std::unique_ptr<ConfigSync> Make() {
    ConfigSyncOptions options;
    options.issuer = "https://signet.test";
    options.on_longer_token_lifetime = [this](std::chrono::seconds s) { raised_.push_back(s); };
    credentials::ProviderContext context{
        "https://signet.test",
        "test.signet",
        credentials::FixedSigningKey(std::make_shared<const jose::SigningKey>(signet_key_)),
        &clock_,
        &random_,
        nullptr,
        nullptr};
    return std::make_unique<ConfigSync>(options, *store_, *durable_, fetcher_, context);
  }

  // Access sections with one workload per name in `workloads`, each allowed to `orders`.
  static std::string Access(const std::vector<std::string>& workloads) {
    std::string yaml =
        "issuers:\n  - {name: idp, issuer: https://idp.test, audiences: [signet], "
        "jwks_uri: https://idp.test/keys}\nworkloads:\n";
    for (const auto& name : workloads) {
      yaml += "  - name: " + name +
              "\n    identities:\n      - issuer: idp\n        claims: {sub: " + name + "-sa}\n";
    }
    yaml +=
        "destinations:\n  - {name: orders, kind: signet-jwt, audience: https://orders.test}\n"
        "policies:\n";
    for (const auto& name : workloads) {
      yaml += "  - {name: " + name + "-orders, workloads: [" + name +
              "], destinations: [orders], max_ttl: 10m}\n";
    }
    return yaml;
  }

  static AccessConfig Parsed(const std::string& yaml) {
    auto config = ParseAccessDocuments({{"test.yaml", yaml}});
    EXPECT_THAT(config, IsOk());
    return config.ok() ? *config : AccessConfig{};
  }

  Result<ConfigChangeResult> Apply(const std::string& yaml, bool dry_run = false,
                                   std::optional<int64_t> expected = std::nullopt) {
    return sync_->Apply({{"team.yaml", yaml}}, "tok-1", "change", expected, dry_run);
  }

  // Exchanges a token of `<workload>-sa` for `orders` on the broker in force.
  Status Exchange(const ConfigSync& sync, const std::string& workload) {
    int64_t now = ToUnixSecondsFloor(clock_.Now());
    boost::json::object claims{{"iss", "https://idp.test"},
                               {"sub", workload + "-sa"},
                               {"aud", "signet"},
                               {"iat", now},
                               {"exp", now + 600}};
    ExchangeRequest request;
    request.subject_token = jose::SignJwt(idp_key_, claims).value();
    request.subject_token_type = std::string(kJwtTokenTypeUri);
    request.audiences = {"orders"};
    audit::Event event;
    return sync.Current()->broker->Exchange(request, &event).status();
  }

  size_t Versions() {
    auto rows = store_->ListConfigVersions();
    EXPECT_THAT(rows, IsOk());
    return rows.ok() ? rows->size() : 0;
  }

  testing::TempDir dir_;
  SimulatedClock clock_;
  SeededRandom random_{7};
  std::unique_ptr<store::Store> store_;
  policy::KillSwitch kill_;
  std::unique_ptr<DurableKillSwitch> durable_;
  trust::FakeFetcher fetcher_;
  jose::SigningKey idp_key_ =
      jose::SigningKey::GenerateForTesting(jose::Algorithm::kES256, "idp").value();
  jose::SigningKey signet_key_ =
      jose::SigningKey::GenerateForTesting(jose::Algorithm::kES256, "signet").value();
  std::vector<std::chrono::seconds> raised_;  // on_longer_token_lifetime calls
  std::unique_ptr<ConfigSync> sync_;
};

TEST_F(ConfigSyncTest, TheFileSeedsAnEmptyStoreOnly) {
  std::vector<std::string> warnings;
  auto seeded = sync_->Seed(Parsed(Access({"billing"})), "signet.yaml", &warnings);
  ASSERT_THAT(seeded, IsOk());
  EXPECT_TRUE(*seeded);
  EXPECT_EQ(sync_->Current()->version, 1);
  EXPECT_THAT(Exchange(*sync_, "billing"), IsOk());
  EXPECT_TRUE(warnings.empty());

  // A later start with another file: the stored version stays in force, with a warning.
  auto restarted = Make();
  warnings.clear();
  seeded = restarted->Seed(Parsed(Access({"reports"})), "signet.yaml", &warnings);
  ASSERT_THAT(seeded, IsOk());
  EXPECT_FALSE(*seeded);
  EXPECT_EQ(restarted->Current()->version, 1);
  EXPECT_THAT(Exchange(*restarted, "billing"), IsOk());
  EXPECT_THAT(Exchange(*restarted, "reports"), FailsWith("no_workload_match"));
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].find("differ from stored config version 1"), std::string::npos)
      << warnings[0];
  EXPECT_EQ(Versions(), 1u);
}

TEST_F(ConfigSyncTest, ApplyPublishesANewVersionAndInFlightRequestsKeepTheirs) {
  std::vector<std::string> warnings;
  ASSERT_THAT(sync_->Seed(Parsed(Access({"billing"})), "signet.yaml", &warnings), IsOk());
  std::shared_ptr<const AccessSnapshot> in_flight = sync_->Current();

  auto dry = Apply(Access({"billing", "reports"}), /*dry_run=*/true);
  ASSERT_THAT(dry, IsOk());
  EXPECT_EQ(dry->version_after, 1);
  ASSERT_FALSE(dry->changes.empty());
  EXPECT_EQ(Versions(), 1u) << "a dry run stored a version";

  auto applied = Apply(Access({"billing", "reports"}));
  ASSERT_THAT(applied, IsOk());
  EXPECT_EQ(applied->version_before, 1);
  EXPECT_EQ(applied->version_after, 2);
  EXPECT_EQ(sync_->Current()->version, 2);
  EXPECT_THAT(Exchange(*sync_, "reports"), IsOk());
  // The snapshot a request loaded before the apply is unchanged.
  EXPECT_EQ(in_flight->version, 1);
  EXPECT_FALSE(in_flight->workloads.contains("reports"));

  auto again = Apply(Access({"billing", "reports"}));
  ASSERT_THAT(again, IsOk());
  EXPECT_TRUE(again->changes.empty());
  EXPECT_EQ(again->version_after, 2);
  EXPECT_EQ(Versions(), 2u) << "applying the same configuration made a version";
}

// Signing keys must stay published as long as the longest token may live: a version
// that raises a max_ttl says so before it is in force; lowering it says nothing.
TEST_F(ConfigSyncTest, ALongerMaxTtlIsReportedBeforeItIsInForce) {
  std::vector<std::string> warnings;
  ASSERT_THAT(sync_->Seed(Parsed(Access({"billing"})), "signet.yaml", &warnings), IsOk());
  EXPECT_TRUE(raised_.empty()) << "10m is within the 1h minimum";
  std::string longer = Access({"billing"});
  longer.replace(longer.find("max_ttl: 10m"), 12, "max_ttl: 3h");
  ASSERT_THAT(Apply(longer), IsOk());
  ASSERT_EQ(raised_.size(), 1u);
  EXPECT_EQ(raised_[0], std::chrono::hours(3));
  EXPECT_EQ(sync_->LongestTokenLifetime(), std::chrono::hours(3));
  ASSERT_THAT(Apply(Access({"billing"})), IsOk());
  EXPECT_EQ(raised_.size(), 1u);
  EXPECT_EQ(sync_->LongestTokenLifetime(), std::chrono::hours(3))
      << "tokens issued under the longer max_ttl may still be alive";
}

// What a token may still live is a property of the store, not of one process: a restart,
// or a replica that never had a version in force, still honours the longest max_ttl.
TEST_F(ConfigSyncTest, TheLongestMaxTtlIsReadFromEveryStoredVersion) {
  std::vector<std::string> warnings;
  ASSERT_THAT(sync_->Seed(Parsed(Access({"billing"})), "signet.yaml", &warnings), IsOk());
  auto other = Make();
  ASSERT_THAT(other->Seed(Parsed(""), "other.yaml", &warnings), IsOk());
  std::string longer = Access({"billing"});
  longer.replace(longer.find("max_ttl: 10m"), 12, "max_ttl: 5h");
  // Put in force and replaced between two syncs of this replica.
  ASSERT_THAT(other->Apply({{"t.yaml", longer}}, "tok-2", "", {}, false), IsOk());
  ASSERT_THAT(other->Apply({{"t.yaml", Access({"billing"})}}, "tok-2", "", {}, false), IsOk());
  ASSERT_THAT(sync_->Sync(), IsOk());
  EXPECT_EQ(sync_->Current()->version, 3);
  EXPECT_EQ(sync_->LongestTokenLifetime(), std::chrono::hours(5));

  auto restarted = Make();
  ASSERT_THAT(restarted->Seed(Parsed(Access({"billing"})), "signet.yaml", &warnings), IsOk());
  EXPECT_EQ(restarted->LongestTokenLifetime(), std::chrono::hours(5));
}

TEST_F(ConfigSyncTest, RefusedChangesWriteNothing) {
  std::vector<std::string> warnings;
  ASSERT_THAT(sync_->Seed(Parsed(Access({"billing"})), "signet.yaml", &warnings), IsOk());
  EXPECT_THAT(Apply(Access({"billing", "reports"}), false, /*expected=*/7),
              FailsWith("config_version_conflict"));
  EXPECT_THAT(Apply("policies: [{name: x}]"), FailsWith("config_invalid"));
  EXPECT_THAT(Apply("# nothing\n"), FailsWith("config_empty"));
  // Parses, but does not compile: a policy for a destination that does not exist, a
  // destination kind no provider serves. Refused before anything is stored.
  EXPECT_THAT(Apply(Access({"billing"}) + "  - {name: y, workloads: [billing], destinations: "
                                          "[ghost], max_ttl: 1m}\n"),
              FailsWith("config_invalid"));
  std::string unknown_kind = Access({"billing"});
  unknown_kind.replace(unknown_kind.find("kind: signet-jwt"), 16, "kind: from-the-future");
  EXPECT_THAT(Apply(unknown_kind), FailsWith("provider_unknown"));
  EXPECT_THAT(sync_->Rollback(9, "tok-1", ""), FailsWith("config_version_unknown"));
  EXPECT_EQ(Versions(), 1u);
  EXPECT_EQ(sync_->Current()->version, 1);
}

TEST_F(ConfigSyncTest, RollbackStoresTheOldDocumentAsANewVersion) {
  std::vector<std::string> warnings;
  ASSERT_THAT(sync_->Seed(Parsed(Access({"billing"})), "signet.yaml", &warnings), IsOk());
  ASSERT_THAT(Apply(Access({"billing", "reports"})), IsOk());
  auto rolled = sync_->Rollback(1, "tok-1", "undo");
  ASSERT_THAT(rolled, IsOk());
  EXPECT_EQ(rolled->version_after, 3);
  EXPECT_EQ(sync_->Current()->version, 3);
  EXPECT_THAT(Exchange(*sync_, "reports"), FailsWith("no_workload_match"));
  auto row = store_->GetConfigVersion(3);
  ASSERT_THAT(row, IsOk());
  EXPECT_EQ(row->origin, "rollback");
  EXPECT_EQ(row->rollback_of, 1);
  EXPECT_EQ(row->document, store_->GetConfigVersion(1)->document);
  // To what is already in force: nothing to do.
  auto noop = sync_->Rollback(3, "tok-1", "");
  ASSERT_THAT(noop, IsOk());
  EXPECT_TRUE(noop->changes.empty());
  EXPECT_EQ(Versions(), 3u);
}

// Another replica on the same store follows on its next Sync, fetched keys kept for
// issuers whose settings did not change; a suspension made there arrives too.
TEST_F(ConfigSyncTest, SyncFollowsVersionsAndSuspensionsFromAnotherReplica) {
  std::vector<std::string> warnings;
  ASSERT_THAT(sync_->Seed(Parsed(Access({"billing"})), "signet.yaml", &warnings), IsOk());
  ASSERT_THAT(Exchange(*sync_, "billing"), IsOk());
  int fetches = fetcher_.Calls("https://idp.test/keys");

  policy::KillSwitch other_kill;
  DurableKillSwitch other_durable(*store_, other_kill, clock_);
  ConfigSyncOptions options;
  options.issuer = "https://signet.test";
  credentials::ProviderContext context{
      "https://signet.test",
      "test.signet",
      credentials::FixedSigningKey(std::make_shared<const jose::SigningKey>(signet_key_)),
      &clock_,
      &random_,
      nullptr,
      nullptr};
  ConfigSync other(options, *store_, other_durable, fetcher_, context);
  ASSERT_THAT(other.Seed(Parsed(""), "other.yaml", &warnings), IsOk());
  ASSERT_THAT(other.Apply({{"team.yaml", Access({"billing", "reports"})}}, "tok-2", "", {}, false),
              IsOk());
  ASSERT_THAT(other_durable.Suspend({"billing", "incident", "tok-2", 0}), IsOk());

  EXPECT_EQ(sync_->Current()->version, 1);
  ASSERT_THAT(sync_->Sync(), IsOk());
  EXPECT_EQ(sync_->Current()->version, 2);
  EXPECT_THAT(Exchange(*sync_, "reports"), IsOk());
  EXPECT_THAT(Exchange(*sync_, "billing"), FailsWith("workload_suspended"));
  EXPECT_EQ(fetcher_.Calls("https://idp.test/keys"), fetches)
      << "an unchanged issuer refetched its keys";
}

// A stored version this replica cannot compile is reported once; the one in force stays.
TEST_F(ConfigSyncTest, AVersionThatDoesNotCompileKeepsTheOneInForce) {
  std::vector<std::string> warnings;
  ASSERT_THAT(sync_->Seed(Parsed(Access({"billing"})), "signet.yaml", &warnings), IsOk());
  std::string unknown_kind = Access({"billing"});
  unknown_kind.replace(unknown_kind.find("kind: signet-jwt"), 16, "kind: from-the-future");
  store::ConfigVersionRow row;
  row.actor = "tok-9";
  row.origin = "apply";
  row.document = Parsed(unknown_kind).canonical;
  ASSERT_THAT(store_->AppendConfigVersion(1, row), IsOk());

  Status first = sync_->Sync();
  EXPECT_FALSE(first.ok());
  EXPECT_NE(first.message().find("config version 2 cannot be put in force"), std::string::npos)
      << first.ToString();
  EXPECT_THAT(sync_->Sync(), IsOk()) << "the same failure was reported twice";
  EXPECT_EQ(sync_->Current()->version, 1);
  EXPECT_FALSE(sync_->InForceIsNewest()) << "a replica behind the others must say so";
  EXPECT_THAT(Exchange(*sync_, "billing"), IsOk());
  // A newer version it can compile catches it up.
  ASSERT_THAT(store_->AppendConfigVersion(2, store_->GetConfigVersion(1).value()), IsOk());
  ASSERT_THAT(sync_->Sync(), IsOk());
  EXPECT_EQ(sync_->Current()->version, 3);
  EXPECT_TRUE(sync_->InForceIsNewest());
}

}  // namespace
}  // namespace signet::server
